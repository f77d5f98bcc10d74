export * from './replay-runner';
export * from './replay.types';
export * from './preferences';
export * from './replay-options';
export * from './preferences-source';
