import { z } from 'zod';
import { eventInputSchema, publishResultSchema } from '@phoenix/contracts';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;

const errorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        violations: {
          type: 'array',
          items: { type: 'object', properties: { path: { type: 'string', description: 'JSON pointer (RFC 6901) into the request body' }, message: { type: 'string' } } },
        },
      },
      required: ['code', 'message'],
    },
  },
};

const errors = (codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      {
        description: {
          400: 'Invalid JSON or the event does not match its topic schema; `violations` lists every problem',
          401: 'Missing or invalid API key',
          403: "The API key's scopes do not include the topic",
          404: 'Unknown topic',
          413: 'Body larger than GATEWAY_MAX_BODY_BYTES, or a batch over GATEWAY_BATCH_MAX_EVENTS',
          422: 'Idempotency-Key reused with a different body',
          503: 'Broker or schema registry unavailable; nothing was published. Retry with the same Idempotency-Key',
        }[c],
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );

/** The gateway's OpenAPI 3.1 document, derived from the same zod schemas that validate requests. */
export function buildOpenApiDocument(version: string) {
  const idempotencyKey = {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    schema: { type: 'string', maxLength: 255 },
    description: 'Retries with the same key and body return the first answer and publish the same event id',
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Phoenix gateway',
      version,
      description: 'Publish schema-validated events onto Phoenix topics. A 2xx answer means the broker acknowledged the event (acks=all).',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        PublishEvent: json(eventInputSchema),
        PublishResult: json(publishResultSchema),
        Error: errorBody,
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      '/v1/events': {
        post: {
          summary: 'Publish one event',
          parameters: [idempotencyKey],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/PublishEvent' } } } },
          responses: {
            '201': { description: 'Acknowledged by the broker', content: { 'application/json': { schema: { $ref: '#/components/schemas/PublishResult' } } } },
            ...errors([400, 401, 403, 404, 413, 422, 503]),
          },
        },
      },
      '/v1/events/batch': {
        post: {
          summary: 'Publish many events; each gets its own result',
          parameters: [idempotencyKey],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object', properties: { events: { type: 'array', items: { $ref: '#/components/schemas/PublishEvent' } } }, required: ['events'] } } },
          },
          responses: {
            '200': { description: 'All events acknowledged' },
            '207': { description: 'Some events failed; see `results[i].status` and `results[i].error`' },
            ...errors([400, 401, 413, 422]),
          },
        },
      },
      '/v1/topics': { get: { summary: 'Topics in the catalogue', responses: { '200': { description: 'The catalogue' }, ...errors([401]) } } },
      '/health/live': { get: { summary: 'Process is up', security: [], responses: { '200': { description: 'up' } } } },
      '/health/ready': { get: { summary: 'Kafka and schema registry reachable', security: [], responses: { '200': { description: 'ready' }, '503': { description: 'a dependency is down' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'text exposition format' } } } },
    },
  };
}
