export * from './factories';
export * from './memory-writer';
export * from './memory-writer.module';
