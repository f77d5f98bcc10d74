export * from './deployment.config';
export * from './fleet-validator';
export * from './mcp-fleet';
