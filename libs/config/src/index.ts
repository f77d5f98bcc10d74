export * from './config.exception';
export * from './config.module';
export * from './config.schema';
export * from './phoenix-config';
export * from './project-root';
export * from './config-files';
export * from './library-env';
export * from './bridge-environment';
