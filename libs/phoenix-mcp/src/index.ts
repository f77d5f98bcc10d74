export * from './phoenix-tools';
export * from './data-tools';
