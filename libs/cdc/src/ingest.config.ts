import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { loadYamlConfig } from '@phoenix/config';

const csv = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : v.split(',').map((s) => s.trim()).filter(Boolean)));

export const ingestFileSchema = z
  .object({
    /** The Kafka-API source: Estuary Dekaf (SASL_SSL/PLAIN), an Estuary Kafka materialization, or Debezium's Kafka. */
    source: z
      .object({
        brokers: csv,
        ssl: z.boolean().default(false),
        sasl: z.object({ mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']), username: z.string(), password: z.string() }).strict().optional(),
        /** The source's Confluent-compatible registry, for Avro streams (Dekaf has its own). */
        registry: z.object({ url: z.url(), username: z.string().optional(), password: z.string().optional() }).strict().optional(),
      })
      .strict(),
    streams: z
      .array(
        z
          .object({
            topic: z.string().min(1),
            format: z.enum(['debezium', 'estuary']),
            encoding: z.enum(['json', 'avro']).default('json'),
            system: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
            entity: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
            keyFields: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export type IngestConfig = z.infer<typeof ingestFileSchema>;
export type IngestStream = IngestConfig['streams'][number];

/** `config/ingest.yaml`, or undefined when there is none (no CDC sources). */
export function loadIngestConfig(configDir: string, env?: NodeJS.ProcessEnv): IngestConfig | undefined {
  const file = path.join(configDir, 'ingest.yaml');
  return fs.existsSync(file) ? loadYamlConfig(file, ingestFileSchema, env) : undefined;
}
