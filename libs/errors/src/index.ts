export * from './phoenix-error';
