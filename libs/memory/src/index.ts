export * from './memory-reader';
