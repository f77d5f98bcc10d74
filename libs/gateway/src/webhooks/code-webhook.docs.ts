import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiResponse } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-docs.decorators';

const json = (schema: Record<string, unknown>) => ({ 'application/json': { schema } });
const answer = (outcome: string, properties: Record<string, unknown>, required: string[]) =>
  json({ type: 'object', properties: { outcome: { type: 'string', enum: [outcome] }, deliveryId: { type: 'string' }, ...properties }, required: ['outcome', 'deliveryId', ...required] });

/** The answers every code host webhook shares. */
export function ApiCodeDelivery(): MethodDecorator {
  return applyDecorators(
    ApiBody({ required: true, schema: { type: 'object', description: 'The provider’s webhook payload, as it sends it (content type application/json)' } }),
    ApiResponse({ status: 201, description: 'Published on its code.* topic', content: answer('published', { id: { type: 'string' }, topic: { type: 'string' }, partition: { type: 'integer' }, offset: { type: 'string' } }, ['id', 'topic', 'partition', 'offset']) }),
    ApiResponse({
      status: 200,
      description: 'Nothing published: a ping (the host testing the hook), or a redelivery of a delivery id already published (`id` names the event it became)',
      content: json({
        oneOf: [
          { type: 'object', properties: { outcome: { type: 'string', enum: ['ping'] }, deliveryId: { type: 'string' }, detail: { type: 'string' } }, required: ['outcome', 'deliveryId', 'detail'] },
          { type: 'object', properties: { outcome: { type: 'string', enum: ['duplicate'] }, deliveryId: { type: 'string' }, id: { type: ['string', 'null'] }, topic: { type: ['string', 'null'] } }, required: ['outcome', 'deliveryId', 'id', 'topic'] },
        ],
      }),
    }),
    ApiResponse({ status: 202, description: 'Verified but not published: an event or action Phoenix does not publish (`detail` says which are)', content: answer('ignored', { detail: { type: 'string' } }, ['detail']) }),
    ApiErrors(400, 401, 409, 413, 415, 429, 503),
  );
}
