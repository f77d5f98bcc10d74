export * from './lineage-index';
export * from './console-feed';
export * from './dead-letters';
export * from './lag-sampler';
export * from './dead-letter-scan';
