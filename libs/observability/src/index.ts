export * from './health';
export * from './logger';
export * from './metrics';
export * from './observability.controller';
export * from './observability.module';
export * from './request-context';
export * from './tracing';
export * from './http-telemetry';
