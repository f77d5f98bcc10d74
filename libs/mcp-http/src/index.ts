export * from './bridge.command';
export * from './mcp-http-endpoint';
export * from './stdio-bridge';
