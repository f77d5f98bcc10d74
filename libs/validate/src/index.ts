export * from './deployment.config';
export * from './fleet-validator';
