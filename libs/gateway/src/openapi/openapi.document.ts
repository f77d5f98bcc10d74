import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { componentSchemas } from './openapi.schemas';

export interface OpenApiOptions {
  version: string;
  batchMaxEvents: number;
  /** Names of the n8n flows with an inbound webhook (the `{flow}` values that exist). */
  inboundFlows: string[];
  /** Catalogue topics a client may publish to, each with the JSON Schema of its payloads. */
  topics: { name: string; payload: Record<string, unknown>; compacted: boolean }[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * The gateway's OpenAPI 3.1 document, generated from the routes Nest serves (every controller,
 * its decorators) and the zod schemas the handlers validate with. A route without documented
 * answers fails here, at boot.
 */
export function buildOpenApiDocument(app: INestApplication, opts: OpenApiOptions): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Phoenix gateway')
    .setVersion(opts.version)
    .setDescription('Publish schema-validated events onto Phoenix topics, record user interactions, receive signed n8n webhooks, and drive Phoenix over MCP. A 2xx answer to a publish means the broker acknowledged the event (acks=all).')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key from PHOENIX_API_KEYS (configured as the key or its sha256; two keys may be valid at once while one is rotated). Its scopes name actions: publish:<topic-glob>, read:<topic-glob>, memory:read[:<topic-glob>], memory:write, tasks:start, tasks:read, dlq:redrive, admin; user:<id> and tenant:<id> bind it; rate:<n> limits it (429 with Retry-After). Missing or unknown key: 401; a scope the route or tool needs is missing: 403.' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same API key, as a header' }, 'apiKey')
    .build();
  const doc = SwaggerModule.createDocument(app, config, { autoTagControllers: false });
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, ...(componentSchemas(opts) as NonNullable<typeof doc.components>['schemas']) } };

  const flows = doc.paths['/v1/webhooks/n8n/{flow}']?.post?.parameters?.find((p) => 'name' in p && p.name === 'flow');
  if (flows && 'schema' in flows) flows.schema = opts.inboundFlows.length ? { type: 'string', enum: opts.inboundFlows } : { type: 'string' };

  const undocumented: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      if (!op.summary) undocumented.push(`${method.toUpperCase()} ${path}`);
    }
  }
  if (undocumented.length) throw new Error(`OpenAPI: routes without a summary and answers: ${undocumented.join(', ')}`);
  return doc;
}

/** Which methods the document declares for a concrete request path (for 405 + Allow). */
export class OpenApiRoutes {
  private document: OpenAPIObject | null = null;
  private matchers: { re: RegExp; methods: string[] }[] = [];

  set(doc: OpenAPIObject): void {
    this.document = doc;
    this.matchers = Object.entries(doc.paths).map(([path, item]) => ({
      re: new RegExp('^' + path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '/?$'),
      methods: METHODS.filter((m) => item[m]).map((m) => m.toUpperCase()),
    }));
  }

  get(): OpenAPIObject {
    if (!this.document) throw new Error('the OpenAPI document is built when the gateway app is created');
    return this.document;
  }

  /** The declared methods for `path`, or undefined when no documented path matches it. */
  allowed(path: string): string[] | undefined {
    const m = this.matchers.find((x) => x.re.test(path));
    if (!m) return undefined;
    return m.methods.includes('GET') && !m.methods.includes('HEAD') ? [...m.methods, 'HEAD'] : m.methods;
  }
}
