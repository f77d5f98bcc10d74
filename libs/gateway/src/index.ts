export * from './errors/error-response';
export * from './errors/gateway.exception';
export * from './gateway.app';
export * from './gateway.module';
export * from './idempotency/claim-log';
export * from './idempotency/claim-state';
export * from './cluster/gateway-cluster';
