import { Controller, Get, Inject, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { AccessAuditLog, AccessGuard, AuthenticatedRequest, RequireAccess } from '@phoenix/access';
import { PhoenixViews } from '@phoenix/phoenix-mcp';
import { DatasetTooLargeError, preferenceDataset } from '@phoenix/replay';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { ApiErrors, ApiKeyAuth } from '../openapi/api-docs.decorators';
import { TOPICS } from '@phoenix/contracts';

const FORMATS = ['json', 'jsonl'] as const;
const KINDS = ['pairs', 'sft'] as const;
const INTERACTIONS = [TOPICS.interactionsChat, TOPICS.interactionsFeedback];

/** Training datasets built from the bus on request (the learning loop's download). */
@Controller('v1')
@UseGuards(AccessGuard)
@ApiKeyAuth()
export class DatasetsController {
  private readonly audit: AccessAuditLog;

  constructor(@Inject(PhoenixViews) private readonly views: PhoenixViews) {
    this.audit = new AccessAuditLog(views.bus.producer, 'gateway/datasets');
  }

  @Get('datasets/preferences')
  @RequireAccess('read')
  @ApiOperation({
    summary: 'The preference dataset: feedback joined with the answers it rates, from all of interactions.chat and interactions.feedback',
    description:
      'Corrections give (prompt, correction ≻ answer) pairs and SFT records; two answers to one prompt rated differently give a ranking pair; well-rated answers give SFT records (the same as `phoenix replay preferences`). `format=jsonl` downloads one `kind` as JSON lines.',
  })
  @ApiQuery({ name: 'format', required: false, schema: { type: 'string', enum: [...FORMATS], default: 'json' } })
  @ApiQuery({ name: 'kind', required: false, schema: { type: 'string', enum: [...KINDS], default: 'pairs' }, description: 'Which records a JSONL download holds' })
  @ApiResponse({ status: 200, description: 'The dataset (JSON), or one kind of record as JSON lines', content: { 'application/json': { schema: { $ref: '#/components/schemas/PreferenceDataset' } }, 'application/x-ndjson': { schema: { type: 'string' } } } })
  @ApiErrors(400, 403, 413, 429, 503)
  async preferences(@Req() req: AuthenticatedRequest, @Res() res: Response, @Query() query: Record<string, unknown>) {
    const unknown = Object.keys(query).filter((k) => k !== 'format' && k !== 'kind');
    if (unknown.length) throw new GatewayError(GatewayErrorCode.BadRequest, `unknown query parameter(s): ${unknown.join(', ')}`, unknown.map((k) => ({ path: `/query/${k}`, message: 'is not a parameter of this operation' })));
    const format = (query.format ?? 'json') as (typeof FORMATS)[number];
    const kind = (query.kind ?? 'pairs') as (typeof KINDS)[number];
    if (!FORMATS.includes(format)) throw new GatewayError(GatewayErrorCode.BadRequest, `format must be one of ${FORMATS.join(', ')}`, [{ path: '/query/format', message: `must be one of ${FORMATS.join(', ')}` }]);
    if (!KINDS.includes(kind)) throw new GatewayError(GatewayErrorCode.BadRequest, `kind must be one of ${KINDS.join(', ')}`, [{ path: '/query/kind', message: `must be one of ${KINDS.join(', ')}` }]);
    const denied = INTERACTIONS.filter((t) => !req.principal.mayRead(t));
    if (denied.length) throw new GatewayError(GatewayErrorCode.Forbidden, `this key may not read ${denied.join(', ')}`);
    const tenant = req.principal.tenant;
    let data;
    try {
      data = await preferenceDataset(this.views.bus, (e) => !tenant || e.tenant === tenant);
    } catch (err) {
      if (err instanceof DatasetTooLargeError) throw new GatewayError(GatewayErrorCode.PayloadTooLarge, err.message);
      throw err;
    }
    await this.audit.record(req.principal, { surface: 'rest', action: 'read', operation: 'preference_dataset', outcome: 'allowed', scope: INTERACTIONS.join(','), count: data.pairs.length + data.sft.length });
    if (format === 'json') {
      res.status(200).json(data);
      return;
    }
    const records: object[] = kind === 'pairs' ? data.pairs : data.sft;
    res
      .status(200)
      .type('application/x-ndjson')
      .setHeader('Content-Disposition', `attachment; filename="${kind === 'pairs' ? 'preference_pairs' : 'sft'}.jsonl"`)
      .send(records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
  }
}
