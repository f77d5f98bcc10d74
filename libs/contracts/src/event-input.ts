import { z } from 'zod';
import { createEnvelope, isUuidV7 } from './envelope';
import { Violation } from './contracts.exception';
import { Envelope } from './generated/events.generated';

/** A UUIDv7 as text (the pattern the OpenAPI document states; `isUuidV7` checks the same). */
export const UUID_V7 = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;

/**
 * One event as a client submits it — HTTP API, CLI, MCP tool or SDK. Phoenix fills the id,
 * timestamps and defaults; the payload is then checked against the topic's schema.
 */
export const eventInputSchema = z
  .object({
    topic: z.string().min(1).describe('Catalogue topic, e.g. events.app or cdc.hubspot.deals'),
    type: z
      .string()
      .regex(/^[a-z0-9]+([._-][a-z0-9]+)*$/i, 'dotted name such as deal.updated')
      .max(200)
      .describe('What happened, e.g. deal.updated'),
    payload: z.unknown().refine((v) => v !== undefined, 'is required').describe("The payload; its shape is fixed by the topic's schema"),
    key: z.string().min(1).max(1024).nullable().optional().describe('Entity key; events with the same key keep their order'),
    source: z.string().min(1).max(200).optional().describe('Producing system; defaults to "gateway"'),
    id: z.string().regex(UUID_V7, 'must be a UUIDv7').refine(isUuidV7, 'must be a UUIDv7').optional().describe('Event id (UUIDv7); generated when absent'),
    version: z.number().int().min(1).max(2_147_483_647).optional().describe('Payload version (a 32-bit integer)'),
    occurredAt: z
      .union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })])
      .optional()
      .describe('When it happened: epoch ms or ISO-8601; defaults to now'),
    correlationId: z.string().min(1).max(200).nullable().optional(),
    causationId: z.string().min(1).max(200).nullable().optional(),
  })
  .strict();

export type EventInput = z.infer<typeof eventInputSchema>;

export const publishBatchSchema = z
  .object({
    events: z.array(z.unknown()).min(1, 'at least one event'),
  })
  .strict();

export const publishResultSchema = z.object({
  id: z.string(),
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  correlationId: z.string(),
});

const pointer = (path: PropertyKey[]) => '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** zod issues as JSON-pointer violations, like the schema validator's. */
export function zodViolations(error: z.ZodError, prefix = ''): Violation[] {
  return error.issues.map((i) => {
    // zod's issue union is discriminated by `code` (zod's own tag, checked by the compiler), not an error code of ours.
    // eslint-disable-next-line no-restricted-syntax
    if (i.code === 'unrecognized_keys') {
      return { path: prefix + pointer([...i.path, i.keys[0]]), message: `is not a field (${i.keys.join(', ')})` };
    }
    const path = prefix + (i.path.length ? pointer(i.path) : '');
    return { path: path || '/', message: i.message };
  });
}

/** The envelope for a validated input; `defaultSource` names the ingress (gateway, cli, mcp). */
export function envelopeFromInput(input: EventInput, defaultSource: string, eventId?: string): Envelope<unknown> {
  return createEnvelope({
    id: input.id ?? eventId,
    type: input.type,
    source: input.source ?? defaultSource,
    key: input.key ?? null,
    version: input.version,
    occurredAt: typeof input.occurredAt === 'string' ? Date.parse(input.occurredAt) : input.occurredAt,
    correlationId: input.correlationId,
    causationId: input.causationId,
    payload: input.payload,
  });
}
