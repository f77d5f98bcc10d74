export * from './artifacts';
export * from './processes';
export * from './stack-manager';
export * from './stack-service';
export * from './stack.options';
export * from './n8n.service';
export * from './llm.service';
