export * from './errors/error-response';
export * from './errors/gateway.exception';
export * from './gateway.app';
export * from './gateway.module';
export * from './idempotency/idempotency.store';
export * from './cluster/gateway-cluster';
