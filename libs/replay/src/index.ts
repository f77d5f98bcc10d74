export * from './replay-runner';
export { planRanges, PartitionOffsets } from './replay-plan';
export * from './replay.types';
export * from './preferences';
export * from './replay-options';
export * from './preferences-source';
