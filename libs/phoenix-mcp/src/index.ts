export * from './phoenix-tools';
export * from './data-tools';
export * from './mcp-http';
