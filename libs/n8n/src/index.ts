export * from './n8n-bridge';
export * from './n8n-flows.config';
export * from './webhook-signature';
export * from './n8n-admin';
