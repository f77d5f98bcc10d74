export * from './route-matcher';
export * from './route-table';
export * from './router.controller';
export * from './router.service';
export * from './routes.config';
export * from './routing.module';

