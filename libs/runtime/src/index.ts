export * from './app-context';
export * from './boot';
export * from './app-modules';
export * from './consumer-app';
