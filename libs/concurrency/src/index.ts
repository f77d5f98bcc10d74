export * from './backoff';
export * from './keyed-serial-queue';
export * from './semaphore';
export * from './token-bucket';
