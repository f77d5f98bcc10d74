import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { loadYamlConfig } from '@phoenix/config';

export const deploymentFileSchema = z
  .object({
    /** Apps by base URL; each serves /health/ready (and /capabilities for MCP workers). */
    apps: z.array(z.object({ name: z.string().min(1), url: z.url() }).strict()).default([]),
    /** Or discover them: the Services of the Helm release, through the Kubernetes API. */
    kubernetes: z
      .object({
        namespace: z.string().default('phoenix'),
        labelSelector: z.string().default('app.kubernetes.io/name=phoenix'),
        /** Label naming the app on each Service. */
        appLabel: z.string().default('app.kubernetes.io/component'),
        /** Service port to use (by name); the first port when absent. */
        portName: z.string().optional(),
        /** API server; in a pod the service-account credentials are used. E.g. `kubectl proxy` → http://127.0.0.1:8001. */
        apiUrl: z.url().optional(),
        token: z.string().optional(),
      })
      .strict()
      .optional(),
    /** Consumer lag above this fails the check (messages, per group). */
    maxLag: z.number().int().min(0).default(10000),
    /** Dead letters above this fail the check; any dead letter is a warning. */
    maxDeadLetters: z.number().int().min(0).optional(),
    /** The MCP fleet: servers that must be served, and the limits their calls are held to. */
    mcp: z
      .object({
        /** Each must be served by a worker that answers (the Helm chart lists its `mcpServers`); default: those found. */
        servers: z.array(z.string().min(1)).optional(),
        /** Failed and timed-out calls over all calls, per server. */
        maxErrorRate: z.number().min(0).max(1).default(0.05),
        /** Estimated 95th percentile of a server's call time. */
        maxP95Ms: z.number().int().min(1).default(10000),
        /** Fewer calls are reported, not judged. */
        minCalls: z.number().int().min(1).default(20),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type DeploymentConfig = z.infer<typeof deploymentFileSchema>;

/** `config/deployment.yaml`, or the local defaults (`npm start`: gateway on 8080, internal port 9464). */
export function loadDeploymentConfig(configDir: string, env: NodeJS.ProcessEnv, file?: string): DeploymentConfig {
  const f = file ?? path.join(configDir, 'deployment.yaml');
  if (fs.existsSync(f)) return loadYamlConfig(f, deploymentFileSchema, env);
  if (file) throw new Error(`${file} does not exist`);
  return deploymentFileSchema.parse({
    apps: [
      { name: 'gateway', url: `http://127.0.0.1:${env.GATEWAY_PORT ?? 8080}` },
      { name: 'memory-writer', url: `http://127.0.0.1:${env.HEALTH_PORT ?? 9464}` },
    ],
  });
}
