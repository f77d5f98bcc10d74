export * from './code-delivery';
export * from './code-webhook.exception';
export * from './github-normalizer';
export * from './gitlab-normalizer';
export * from './payload-reader';
export * from './repo-secrets';
export * from './webhook-signatures';
