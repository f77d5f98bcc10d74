import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { loadYamlConfig } from '@phoenix/config';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _');

export const flowSchema = z
  .object({
    name,
    description: z.string().optional(),
    /** Phoenix → n8n: events on n8n.outbound.<name> are POSTed to the flow's production webhook. */
    outbound: z
      .object({
        /** Production webhook path in n8n (`POST <baseUrl>/webhook/<path>`), or a full URL. */
        webhook: z.string().min(1),
        /** HMAC-SHA256 key; n8n can verify X-Phoenix-Signature with it. */
        secret: z.string().min(8),
        concurrency: z.number().int().min(1).max(256).default(4),
        ratePerSecond: z.number().positive().max(100000).default(50),
        timeoutMs: z.number().int().min(100).max(300000).default(10000),
      })
      .strict()
      .optional(),
    /** n8n → Phoenix: `POST /v1/webhooks/n8n/<name>` becomes an event on `topic`. */
    inbound: z
      .object({
        topic: z.string().min(1),
        type: z.string().min(1),
        /** HMAC-SHA256 key the caller signs with. */
        secret: z.string().min(8),
        /** Templates over { body, headers } for the event; defaults: payload = body. */
        mapping: z.object({ payload: z.json().optional(), key: z.string().optional(), correlationId: z.string().optional(), source: z.string().optional() }).strict().default({}),
      })
      .strict()
      .optional(),
  })
  .strict();

export const n8nFileSchema = z
  .object({
    n8n: z
      .object({
        baseUrl: z.url().default('http://127.0.0.1:5678'),
        owner: z.object({ email: z.email(), password: z.string().min(8), firstName: z.string().default('Phoenix'), lastName: z.string().default('Operator') }).strict().optional(),
        apiKey: z.string().optional(),
        workflowsDir: z.string().default('n8n/workflows'),
      })
      .strict()
      .default({ baseUrl: 'http://127.0.0.1:5678', workflowsDir: 'n8n/workflows' }),
    flows: z.array(flowSchema).default([]),
  })
  .strict();

export type N8nFlow = z.infer<typeof flowSchema>;
export type N8nConfig = z.infer<typeof n8nFileSchema>;

/** `config/n8n-flows.yaml` (an empty configuration when absent). */
export function loadN8nConfig(configDir: string, env?: NodeJS.ProcessEnv): N8nConfig {
  const file = path.join(configDir, 'n8n-flows.yaml');
  if (!fs.existsSync(file)) return n8nFileSchema.parse({});
  return loadYamlConfig(file, n8nFileSchema, env);
}

/** The URL a flow's deliveries go to. */
export function webhookUrl(cfg: N8nConfig, flow: N8nFlow): string {
  const hook = flow.outbound!.webhook;
  return /^https?:\/\//.test(hook) ? hook : `${cfg.n8n.baseUrl.replace(/\/+$/, '')}/webhook/${hook.replace(/^\/+/, '')}`;
}

/**
 * The environment n8n needs to run Phoenix's workflows: where Phoenix is, and each flow's secrets
 * (PHOENIX_N8N_SECRET_<FLOW> signs calls to Phoenix; ..._OUT verifies Phoenix's deliveries).
 */
export function n8nWorkflowEnv(cfg: N8nConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const f of cfg.flows) {
    const key = `PHOENIX_N8N_SECRET_${f.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
    if (f.inbound) env[key] = f.inbound.secret;
    if (f.outbound) env[`${key}_OUT`] = f.outbound.secret;
  }
  return env;
}
