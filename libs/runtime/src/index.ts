export * from './app-context';
export * from './boot';
export * from './app-modules';
