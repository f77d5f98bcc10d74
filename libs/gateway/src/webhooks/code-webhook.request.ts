import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { RawBodyRequest } from '../json-body.middleware';

/** One request header's value (the first, when repeated). */
export function headerOf(req: RawBodyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A header the provider always sends; without it the request is not the provider's (400). */
export function requiredHeader(req: RawBodyRequest, name: string): string {
  const v = headerOf(req, name);
  if (!v) throw new GatewayError(GatewayErrorCode.BadRequest, `the ${name} header is required`);
  return v;
}

/**
 * The delivery's exact bytes (what the provider signed) and its parsed JSON object. Hosts can be
 * set to send form data; Phoenix reads JSON only and says so (415).
 */
export function jsonDelivery(req: RawBodyRequest): { raw: Buffer; body: Record<string, unknown> } {
  if (!req.is('application/json')) throw new GatewayError(GatewayErrorCode.UnsupportedMediaType, 'send the webhook as application/json (the hook’s content type setting)');
  const body = req.body as unknown;
  if (!req.rawBody || typeof body !== 'object' || body === null || Array.isArray(body)) throw new GatewayError(GatewayErrorCode.BadRequest, 'the body must be a JSON object');
  return { raw: req.rawBody, body: body as Record<string, unknown> };
}
