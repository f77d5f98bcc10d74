import { z } from 'zod';

const glob = z.string().min(1);
const globs = z.union([glob, z.array(glob).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));
const name = z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lowercase letters, digits, ., - and _');
const json = z.json();

export const predicateSchema = z
  .object({
    path: z.string().startsWith('$', 'a JSONPath starting with $ (the event: $.payload.after.stage, $.type, $.key)'),
    equals: json.optional(),
    notEquals: json.optional(),
    in: z.array(json).optional(),
    exists: z.boolean().optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    matches: z.string().optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 1, 'a predicate needs an operator: equals, notEquals, in, exists, gt, gte, lt, lte or matches');

const cdcOp = z.enum(['create', 'update', 'delete', 'snapshot', 'truncate']);

export const matchSchema = z
  .object({
    topics: globs,
    types: globs.optional(),
    sources: globs.optional(),
    tables: globs.optional(),
    ops: z.array(cdcOp).min(1).optional(),
    changedFields: z.array(z.string()).min(1).optional(),
    where: z.array(predicateSchema).optional(),
  })
  .strict();

export const emitSchema = z.union([
  z
    .object({
      mcp: z
        .object({
          server: name,
          tool: z.string().min(1),
          arguments: z.record(z.string(), json).default({}),
          timeoutMs: z.number().int().min(100).optional(),
          /** Deadline relative to routing time: a command still queued after it is not run. */
          deadlineMs: z.number().int().min(100).optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      task: z
        .object({
          goal: z.string().min(1),
          playbook: z.string().optional(),
          inputs: z.record(z.string(), json).default({}),
          timeoutMs: z.number().int().min(100).optional(),
        })
        .strict(),
    })
    .strict(),
  z.object({ n8n: z.object({ flow: name, data: z.record(z.string(), json).optional() }).strict() }).strict(),
  z
    .object({
      topic: z
        .object({
          name: z.string().min(1),
          type: z.string().optional(),
          payload: json.optional(),
        })
        .strict(),
    })
    .strict(),
]);

export const routeSchema = z
  .object({
    name,
    description: z.string().optional(),
    enabled: z.boolean().default(true),
    match: matchSchema,
    emit: z.array(emitSchema).min(1),
  })
  .strict();

export const routesFileSchema = z
  .object({ routes: z.array(routeSchema).default([]) })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.routes.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `duplicate route name "${r.name}"` });
      seen.add(r.name);
    });
  });

export type RouteConfig = z.infer<typeof routeSchema>;
export type EmitConfig = z.infer<typeof emitSchema>;
export type Predicate = z.infer<typeof predicateSchema>;
