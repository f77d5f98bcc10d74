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
              dependsOn: z.array(stepId).min(1),
              optional: z.boolean().default(false),
            })
            .strict(),
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
