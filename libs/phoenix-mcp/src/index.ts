export * from './phoenix-tools';
