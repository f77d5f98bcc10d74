import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { AccessAuditLog, AccessError, AccessGuard, AuthenticatedRequest, globMatches, RequireAccess } from '@phoenix/access';
import { createEnvelope, MemoryRequest, TopicCatalogue, TOPICS, zodViolations } from '@phoenix/contracts';
import { PhoenixViews, scopedMemorySearch } from '@phoenix/phoenix-mcp';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { ApiErrors, ApiJson, ApiKeyAuth } from '../openapi/api-docs.decorators';

const searchQuerySchema = z
  .object({
    q: z.string().min(1).max(500),
    limit: z.coerce.number().int().min(1).max(100).optional(),
    userId: z.string().min(1).max(200).optional(),
    runId: z.string().min(1).max(200).optional(),
    rerank: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
  })
  .strict();

const entityQuerySchema = z
  .object({
    topic: z.string().min(1).max(249),
    key: z.string().min(1).max(1024),
    limit: z.coerce.number().int().min(1).max(5000).optional(),
  })
  .strict();

export const forgetRequestSchema = z
  .object({
    topic: z.string().min(1).max(249).describe("The entity's topic, e.g. cdc.hubspot.contacts"),
    key: z.string().min(1).max(1024).describe("The entity's key on that topic"),
    reason: z.string().min(1).max(500).optional().describe('Why (kept on memory.requests)'),
  })
  .strict();

/** Semantic memory search as REST (the `search_memory` tool), narrowed to what the key may read. */
@Controller('v1/memory')
@UseGuards(AccessGuard)
@ApiKeyAuth()
export class MemoryController {
  private readonly audit: AccessAuditLog;

  constructor(
    @Inject(PhoenixViews) private readonly views: PhoenixViews,
    private readonly catalogue: TopicCatalogue,
  ) {
    this.audit = new AccessAuditLog(views.bus.producer, 'gateway/memory');
  }

  @Get('search')
  @RequireAccess('memory:read')
  @ApiOperation({ summary: 'Search what Phoenix remembers, with scores and metadata (narrowed to the memories this key may read)' })
  @ApiQuery({ name: 'q', required: true, schema: { type: 'string', minLength: 1, maxLength: 500 } })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } })
  @ApiQuery({ name: 'userId', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 } })
  @ApiQuery({ name: 'runId', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 }, description: "Only this run's memories (a chat message's conversationId, with the default memory.yaml)" })
  @ApiQuery({ name: 'rerank', required: false, schema: { type: 'string', enum: ['true', 'false'] }, description: 'false skips the cross-encoder stage (memory.yaml search.rerank): faster, less exact. Default true.' })
  @ApiJson(200, 'The best matches, best first', 'MemoryHits')
  @ApiErrors(400, 403, 429, 503)
  async search(@Req() req: AuthenticatedRequest, @Query() query: Record<string, unknown>) {
    const parsed = searchQuerySchema.safeParse(query);
    if (!parsed.success) throw new GatewayError(GatewayErrorCode.BadRequest, 'not a valid memory search', zodViolations(parsed.error).map((v) => ({ ...v, path: `/query${v.path}` })));
    const memory = this.views.memory();
    if (!memory) throw new GatewayError(GatewayErrorCode.Unavailable, 'this gateway has no memory store');
    try {
      const { q, ...opts } = parsed.data;
      return { memories: await scopedMemorySearch(await memory, req.principal, q, opts, this.audit, 'rest') };
    } catch (err) {
      if (err instanceof AccessError) throw new GatewayError(GatewayErrorCode.Forbidden, err.message);
      throw new GatewayError(GatewayErrorCode.Unavailable, `memory unavailable: ${(err as Error).message}`);
    }
  }

  @Get('entity')
  @RequireAccess('memory:read')
  @ApiOperation({ summary: "An entity's live memories (the entity is a topic and a key), narrowed to what the key may read" })
  @ApiQuery({ name: 'topic', required: true, schema: { type: 'string', minLength: 1, maxLength: 249 } })
  @ApiQuery({ name: 'key', required: true, schema: { type: 'string', minLength: 1, maxLength: 1024 } })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 5000 } })
  @ApiJson(200, "The entity's memories", 'EntityMemories')
  @ApiErrors(400, 403, 404, 429, 503)
  async entity(@Req() req: AuthenticatedRequest, @Query() query: Record<string, unknown>) {
    const parsed = entityQuerySchema.safeParse(query);
    if (!parsed.success) throw new GatewayError(GatewayErrorCode.BadRequest, 'not a valid entity', zodViolations(parsed.error).map((v) => ({ ...v, path: `/query${v.path}` })));
    const { topic, key, limit } = parsed.data;
    this.entityTopic(req, topic);
    const memoryTopics = req.principal.memoryTopics();
    if (memoryTopics !== null && !memoryTopics.some((g) => globMatches(g, topic))) throw new GatewayError(GatewayErrorCode.Forbidden, `this key may not read memories of "${topic}"`);
    const memory = this.views.memory();
    if (!memory) throw new GatewayError(GatewayErrorCode.Unavailable, 'this gateway has no memory store');
    const entity = `${topic}/${key}`;
    try {
      const m = await memory;
      if (!m.entityMemories) throw new Error('this memory store cannot list memories by entity');
      const tenant = req.principal.tenant;
      const userId = req.principal.userId;
      const hits = (await m.entityMemories(entity, limit ?? 100)).filter((h) => (tenant === undefined || h.metadata.tenant === tenant) && (!userId || h.metadata.user_id === userId || h.metadata.userId === userId));
      await this.audit.record(req.principal, { surface: 'rest', action: 'memory:read', operation: 'entity_memories', outcome: 'allowed', scope: entity, count: hits.length });
      return { entity, memories: hits };
    } catch (err) {
      throw new GatewayError(GatewayErrorCode.Unavailable, `memory unavailable: ${(err as Error).message}`);
    }
  }

  @Post('forget')
  @HttpCode(202)
  @RequireAccess('memory:write')
  @ApiOperation({
    summary: 'Forget an entity: its memories are deleted, its warehouse rows soft-deleted, each deletion published on memory.changes',
    description:
      'Publishes a forget request on memory.requests (kept: the record of what was forgotten); the memory-writer carries it out in order with the entity\'s events, and remembers none of those ingested before the request, even ones still on their way. Follow it with GET /v1/memory/entity or GET /v1/lineage/{requestId}.',
  })
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/ForgetRequest' } })
  @ApiJson(202, 'Requested', 'ForgetAccepted')
  @ApiErrors(400, 403, 404, 413, 429, 503)
  async forget(@Req() req: AuthenticatedRequest, @Body() body: unknown) {
    const parsed = forgetRequestSchema.safeParse(body);
    if (!parsed.success) throw new GatewayError(GatewayErrorCode.BadRequest, 'expected {"topic": "...", "key": "...", "reason"?: "..."}', zodViolations(parsed.error));
    const { topic, key, reason } = parsed.data;
    this.entityTopic(req, topic);
    const entity = `${topic}/${key}`;
    const payload: MemoryRequest = { op: 'forget', topic, key, reason: reason ?? null, requestedBy: req.principal.name };
    const event = { ...createEnvelope({ type: 'memory.forget.requested', source: `gateway/${req.principal.name}`, key: entity, payload }), tenant: req.principal.tenant ?? null };
    const receipt = await this.views.bus.producer.publish(TOPICS.memoryRequests, event);
    await this.audit.record(req.principal, { surface: 'rest', action: 'memory:write', operation: 'forget_entity', outcome: 'allowed', scope: entity });
    return { requestId: event.id, entity, topic: receipt.topic, partition: receipt.partition, offset: receipt.offset };
  }

  private entityTopic(req: AuthenticatedRequest, topic: string): void {
    const resolved = this.catalogue.resolve(topic);
    if (!resolved || resolved.role !== 'main') throw new GatewayError(GatewayErrorCode.UnknownTopic, `unknown topic "${topic}"; see GET /v1/topics`);
    if (!req.principal.mayRead(topic)) throw new GatewayError(GatewayErrorCode.Forbidden, `this key may not read "${topic}"`);
  }
}
