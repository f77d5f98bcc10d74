export * from './access.errors';
export * from './access-policy';
export * from './key-rate-limit';
export * from './principal';
export * from './scopes';
export * from './access.guard';
export * from './access-audit';
