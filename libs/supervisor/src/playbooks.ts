import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError, loadYamlConfig } from '@phoenix/config';

const stepId = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/);

export const playbookSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
    description: z.string().optional(),
    /** Words or regular expressions; a task whose goal matches any of them gets this playbook. */
    match: z.array(z.string()).default([]),
    /** Defaults for task inputs the steps refer to. */
    defaults: z.record(z.string(), z.json()).default({}),
    policy: z
      .object({ onStepFailure: z.enum(['continue', 'fail']).default('continue'), minSucceeded: z.number().int().min(0).default(1) })
      .strict()
      .default({ onStepFailure: 'continue', minSucceeded: 1 }),
    /**
     * What the supervisor reads from memory before planning: the goal (or `query`) searched in
     * `scope`, which may use `{{ $.inputs.x }}`. Default: the task's own run and requester.
     */
    memory: z
      .object({
        query: z.string().min(1).optional(),
        scope: z.object({ userId: z.string().optional(), agentId: z.string().optional(), runId: z.string().optional() }).strict().optional(),
        limit: z.number().int().min(1).max(50).default(5),
      })
      .strict()
      .optional(),
    steps: z
      .array(
        z.union([
          z
            .object({
              id: stepId,
              server: z.string(),
              tool: z.string(),
              arguments: z.record(z.string(), z.json()).default({}),
              dependsOn: z.array(stepId).default([]),
              timeoutMs: z.number().int().min(100).default(30000),
              optional: z.boolean().default(false),
            })
            .strict(),
          z
            .object({
              id: stepId,
              kind: z.literal('synthesize'),
              dependsOn: z.array(stepId).default([]),
              /** model: the configured LLM answers the goal from the task's memory and these results. */
              with: z.enum(['results', 'model']).default('results'),
              optional: z.boolean().default(false),
            })
            .strict()
            .refine((s) => s.with === 'model' || s.dependsOn.length > 0, { message: 'a synthesis of results needs dependsOn (or with: model)' }),
        ]),
      )
      .min(1),
  })
  .strict();

export type Playbook = z.infer<typeof playbookSchema>;

/** Every `config/playbooks/*.yaml`, validated; names must be unique. */
export function loadPlaybooks(configDir: string, env?: NodeJS.ProcessEnv): Playbook[] {
  const dir = path.join(configDir, 'playbooks');
  if (!fs.existsSync(dir)) return [];
  const books = fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => loadYamlConfig(path.join(dir, f), playbookSchema, env));
  const dup = books.find((b, i) => books.findIndex((x) => x.name === b.name) !== i);
  if (dup) throw new ConfigError([`${dir}: playbook "${dup.name}" is defined twice`]);
  return books;
}
