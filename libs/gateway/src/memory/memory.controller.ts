import { Controller, Get, Inject, Query, Req, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { AccessAuditLog, AccessError, AccessGuard, AuthenticatedRequest, RequireAccess } from '@phoenix/access';
import { zodViolations } from '@phoenix/contracts';
import { PhoenixViews, scopedMemorySearch } from '@phoenix/phoenix-mcp';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { ApiErrors, ApiJson, ApiKeyAuth } from '../openapi/api-docs.decorators';

const searchQuerySchema = z
  .object({
    q: z.string().min(1).max(500),
    limit: z.coerce.number().int().min(1).max(100).optional(),
    userId: z.string().min(1).max(200).optional(),
  })
  .strict();

/** Semantic memory search as REST (the `search_memory` tool), narrowed to what the key may read. */
@Controller('v1/memory')
@UseGuards(AccessGuard)
@ApiKeyAuth()
export class MemoryController {
  private readonly audit: AccessAuditLog;

  constructor(@Inject(PhoenixViews) private readonly views: PhoenixViews) {
    this.audit = new AccessAuditLog(views.bus.producer, 'gateway/memory');
  }

  @Get('search')
  @RequireAccess('memory:read')
  @ApiOperation({ summary: 'Search what Phoenix remembers, with scores and metadata (narrowed to the memories this key may read)' })
  @ApiQuery({ name: 'q', required: true, schema: { type: 'string', minLength: 1, maxLength: 500 } })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } })
  @ApiQuery({ name: 'userId', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 } })
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
}
