export * from './factories';
export * from './memory-writer';
export * from './memory-writer.module';
export * from './memory-request';
export * from './response-index';
