import { Controller, Get, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { AccessGuard, AuthenticatedRequest, RequireAccess } from '@phoenix/access';
import { ConsoleFeed, FeedEvent, LagSampler, lineageNodes, TailFilter, tailMatches, warehouseRows } from '@phoenix/console';
import { InjectConfig, PhoenixConfig } from '@phoenix/config';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { ApiErrors, ApiKeyAuth } from '../openapi/api-docs.decorators';
import { TOPICS } from '@phoenix/contracts';

/** Events per server-sent message at most, and how often the stream is flushed. */
const FLUSH_MS = 100;
// 200 per 100 ms is more than anyone reads; 500 made a 600 KB message the page parsed in one task (one CI run saw a 268 ms task under load).
const MAX_PER_FLUSH = 200;
const HEARTBEAT_MS = 15_000;


/**
 * What the console reads: a topic's live tail (server-sent events, or the recent events as JSON),
 * an event's lineage across topics, and the feed's rates. Every answer keeps to the key's scopes.
 */
@Controller('v1')
@UseGuards(AccessGuard)
@ApiKeyAuth()
export class ConsoleController {
  constructor(
    private readonly feed: ConsoleFeed,
    private readonly lag: LagSampler,
    @InjectConfig() private readonly config: PhoenixConfig,
  ) {}

  @Get('topics/:topic/tail')
  @RequireAccess('read')
  @ApiOperation({
    summary: "A topic's events, decoded: recent ones as JSON, or live as server-sent events",
    description:
      'With `Accept: text/event-stream` the answer is a stream: every ~100 ms an `events` message whose data is a JSON array of events (at most 200; `dropped` messages count what a slow reader missed), and a comment every 15 s. Otherwise the most recent events the gateway has read, oldest first.',
  })
  @ApiParam({ name: 'topic', schema: { type: 'string', maxLength: 249 } })
  @ApiQuery({ name: 'type', required: false, schema: { type: 'string', maxLength: 200 }, description: 'Only this event type (a trailing `*` matches a prefix)' })
  @ApiQuery({ name: 'key', required: false, schema: { type: 'string', maxLength: 200 } })
  @ApiQuery({ name: 'source', required: false, schema: { type: 'string', maxLength: 200 } })
  @ApiResponse({ status: 200, description: 'The recent events (JSON) or the live stream (text/event-stream)', content: { 'application/json': { schema: { $ref: '#/components/schemas/TailEvents' } }, 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiErrors(400, 403, 404, 429)
  async tail(@Req() req: AuthenticatedRequest, @Res() res: Response, @Param('topic') topic: string, @Query() query: Record<string, unknown>) {
    const accept = req.headers.accept;
    this.feed.touch();
    if (!this.feed.readTopics().includes(topic)) throw new GatewayError(GatewayErrorCode.UnknownTopic, `unknown topic "${topic}"`);
    if (!req.principal.mayRead(topic)) throw new GatewayError(GatewayErrorCode.Forbidden, `this key may not read "${topic}"`);
    const filter = tailFilter(query);
    if (!/text\/event-stream/.test(accept ?? '')) {
      res.status(200).json({ topic, events: (await this.feed.recentOf(topic)).filter((e) => tailMatches(filter, { type: e.event.type, key: e.event.key ?? null, source: e.event.source })) });
      return;
    }
    res.status(200);
    res.setHeader('content-type', 'text/event-stream');
    res.setHeader('cache-control', 'no-cache, no-transform');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    let pending: FeedEvent[] = [];
    let dropped = 0;
    const unsubscribe = this.feed.subscribe(topic, {
      filter,
      wants: () => pending.length < MAX_PER_FLUSH,
      deliver: (e) => pending.push(e),
      skip: () => dropped++,
    });
    const flush = setInterval(() => {
      if (pending.length) {
        res.write(`event: events\ndata: ${JSON.stringify(pending)}\n\n`);
        pending = [];
      }
      if (dropped) {
        res.write(`event: dropped\ndata: ${dropped}\n\n`);
        dropped = 0;
      }
    }, FLUSH_MS);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    req.on('close', () => {
      unsubscribe();
      clearInterval(flush);
      clearInterval(heartbeat);
    });
  }

  @Get('lineage/:eventId')
  @RequireAccess('read')
  @ApiOperation({
    summary: 'What caused an event and everything it caused, across topics, with timings',
    description: "From the events the gateway has read (every topic, from a look-back at its start): up the `causationId` chain to the topmost known cause, then down every event caused. Events on topics the key may not read appear as `{ id, hidden: true }`.",
  })
  @ApiParam({ name: 'eventId', schema: { type: 'string', maxLength: 200 } })
  @ApiResponse({ status: 200, description: 'The lineage tree', content: { 'application/json': { schema: { $ref: '#/components/schemas/Lineage' } } } })
  @ApiErrors(403, 404, 429)
  async lineage(@Req() req: AuthenticatedRequest, @Param('eventId') eventId: string) {
    const node = this.feed.lineage.get(eventId);
    if (!node || !req.principal.mayRead(node.topic)) {
      throw new GatewayError(GatewayErrorCode.NotFound, `no event ${eventId} among the last ${this.feed.lineage.maxEntries} events the gateway has read`);
    }
    const tree = await this.feed.lineage.resolve(eventId, (n) => req.principal.mayRead(n.topic));
    if (!tree) throw new GatewayError(GatewayErrorCode.NotFound, `no event ${eventId} among the events the gateway has read`);
    const nodes = lineageNodes(tree.root);
    const memories = nodes.filter((n) => n.topic === TOPICS.memoryChanges).map((n) => ({ memoryId: n.key, op: n.type === 'memory.deleted' ? 'delete' : 'add', causedBy: n.causationId }));
    const group = `${this.config.instance}-memory-writer`;
    const warehouse = await this.committedOffsets(group, [...new Set(nodes.map((n) => n.topic))])
      .then((committed) => ({ group, rows: warehouseRows(nodes, committed) }))
      .catch((err: Error) => ({ group, rows: {}, error: `could not read the memory-writer's offsets: ${err.message}` }));
    return { ...tree, memories, warehouse };
  }

  /** Next offset per topic:partition the group committed (absent where it committed none). */
  private async committedOffsets(groupId: string, topics: string[]): Promise<Map<string, bigint>> {
    const admin = await this.feed.admin();
    const out = new Map<string, bigint>();
    for (const t of await admin.fetchOffsets({ groupId, topics })) {
      for (const p of t.partitions) if (Number(p.offset) >= 0) out.set(`${t.topic}:${p.partition}`, BigInt(p.offset));
    }
    return out;
  }

  @Get('console/stats')
  @RequireAccess('read')
  @ApiOperation({ summary: 'Events read per topic since the gateway started, and per second over the last minute' })
  @ApiResponse({ status: 200, description: 'Per-topic counts', content: { 'application/json': { schema: { $ref: '#/components/schemas/FeedStats' } } } })
  @ApiErrors(403, 429)
  stats(@Req() req: AuthenticatedRequest) {
    this.feed.touch();
    return { lineageEvents: this.feed.lineage.size, undecodable: this.feed.undecodableCount, topics: this.feed.stats().filter((t) => req.principal.mayRead(t.topic)) };
  }

  @Get('console/lag')
  @RequireAccess('read')
  @ApiOperation({ summary: "Consumer lag per group of this instance and dead letters per DLQ topic, read from the broker every 5 s over the last 10 minutes" })
  @ApiResponse({ status: 200, description: 'Samples, oldest first', content: { 'application/json': { schema: { $ref: '#/components/schemas/LagHistory' } } } })
  @ApiErrors(403, 429)
  lagHistory(@Req() req: AuthenticatedRequest) {
    return { samples: this.lag.history().map((s) => ({ ...s, deadLetters: Object.fromEntries(Object.entries(s.deadLetters).filter(([t]) => req.principal.mayRead(t))) })) };
  }
}

function tailFilter(query: Record<string, unknown>): TailFilter {
  const out: TailFilter = {};
  const unknown = Object.keys(query).filter((k) => !['type', 'key', 'source'].includes(k));
  if (unknown.length) throw new GatewayError(GatewayErrorCode.BadRequest, `unknown query parameter(s): ${unknown.join(', ')} (filters are type, key and source)`);
  for (const name of ['type', 'key', 'source'] as const) {
    const v = query[name];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > 200) throw new GatewayError(GatewayErrorCode.BadRequest, `query "${name}" must be one string of at most 200 characters`);
    if (v) out[name] = v;
  }
  return out;
}
