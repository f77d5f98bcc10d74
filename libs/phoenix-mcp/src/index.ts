export * from './phoenix-tools';
export * from './data-tools';
export * from './tool-authorization';
