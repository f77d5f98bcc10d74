export * from './event-renderer';
export * from './local-embedder';
export * from './local-model';
export * from './mem0.store';
export * from './memory-reader';
export * from './memory-store';
export * from './memory.config';
export * from './memory.factory';
