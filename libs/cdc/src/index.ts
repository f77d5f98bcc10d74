export * from './change-normalizer';
export * from './ingest.config';
export * from './ingestor';
