import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse, ApiSecurity } from '@nestjs/swagger';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid JSON or a body that does not match its schema; `violations` lists every problem',
  401: 'Missing or invalid credentials',
  403: "The API key's scopes do not allow this",
  404: 'No such resource (topic, task, flow)',
  405: 'Method not allowed on this path; `Allow` lists the methods that are',
  406: 'The client does not accept application/json',
  409: 'Already received (a replayed nonce)',
  413: 'Body larger than GATEWAY_MAX_BODY_BYTES, or a batch over GATEWAY_BATCH_MAX_EVENTS',
  415: 'The body is not application/json',
  422: 'Well-formed but not processable: an Idempotency-Key reused with a different body, or a pasted rule the router would reject',
  429: 'Overloaded: the gateway sheds load; retry after `Retry-After` seconds',
  500: 'Stored state failed its schema check (corrupted); the message names the problem',
  503: 'Broker or schema registry unavailable; nothing was published. Retry (with the same Idempotency-Key)',
};

/** Error answers of an operation, each the one `Error` body. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: ERROR_DESCRIPTIONS[status] ?? 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }),
    ),
  );
}

/** A JSON answer whose body is the named component schema. */
export function ApiJson(status: number, description: string, schema: string): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } } });
}

/** Operations that take an API key (Authorization: Bearer, or X-API-Key). */
export function ApiKeyAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiSecurity('bearer'), ApiSecurity('apiKey'), ApiErrors(401));
}

export const ApiIdempotencyKey = () =>
  ApiHeader({ name: 'Idempotency-Key', required: false, schema: { type: 'string', maxLength: 255 }, description: 'Retries with the same key and body return the first answer and publish the same event id' });
