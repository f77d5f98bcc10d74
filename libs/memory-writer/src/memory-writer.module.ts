import { Controller, DynamicModule, Get, HttpCode, Inject, Module, OnApplicationShutdown, OnModuleDestroy, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { AccessAuditLog, AccessErrorFilter, AccessGuard, AuthenticatedRequest, Principal, RequireAccess } from '@phoenix/access';
import { authorizeByActions, createMemoryMcpServer, createWarehouseMcpServer, MEMORY_TOOL_ACTIONS, scopedMemorySearch, WAREHOUSE_TOOL_ACTIONS } from '@phoenix/phoenix-mcp';
import { McpHttpEndpoint } from '@phoenix/mcp-http';
import { SqlAssistant } from '@phoenix/warehouse';
import { MemoryWriter } from './memory-writer';

const AUDIT = Symbol('memory-writer audit log');

/**
 * Semantic search over what Phoenix remembers (live namespace unless ?namespace=shadow), for a
 * key with `memory:read`, narrowed to its memories and audited like the MCP tool.
 */
@Controller('memory')
@UseGuards(AccessGuard)
@UseFilters(AccessErrorFilter)
class MemoryController {
  constructor(
    @Inject(MemoryWriter) private readonly writer: MemoryWriter,
    @Inject(AUDIT) private readonly audit: AccessAuditLog,
  ) {}

  @Get('search')
  @RequireAccess('memory:read')
  search(@Req() req: AuthenticatedRequest, @Query('q') q: string, @Query('limit') limit?: string, @Query('namespace') namespace?: string, @Query('userId') userId?: string) {
    const n = limit ? Number(limit) : 10;
    return scopedMemorySearch(this.writer.memory, req.principal, q ?? '', { limit: Number.isInteger(n) && n > 0 && n <= 100 ? n : 10, userId, ...(namespace === 'shadow' ? { namespace: 'shadow' as const } : {}) }, this.audit, 'http:/memory/search');
  }
}

/**
 * Phoenix's own MCP servers for its data, next to the stores they read: `phoenix-memory`
 * (search_memory, add_memory) and `phoenix-warehouse` (query, nl_to_sql, ask). Internal port:
 * workers and agents inside the deployment reach them over Streamable HTTP.
 */
@Controller('mcp')
@UseGuards(AccessGuard)
@UseFilters(AccessErrorFilter)
class DataMcpController implements OnModuleDestroy {
  private readonly memoryMcp: McpHttpEndpoint<Principal>;
  private readonly warehouseMcp: McpHttpEndpoint<Principal>;

  constructor(@Inject(MemoryWriter) writer: MemoryWriter, @Inject(SqlAssistant) assistant: SqlAssistant, @Inject(AUDIT) audit: AccessAuditLog) {
    // The guard has authenticated every request; each server is bound to its caller's scopes.
    this.memoryMcp = new McpHttpEndpoint<Principal>(({ caller }) => createMemoryMcpServer(writer.memory, writer.producer, caller!, audit), authorizeByActions(MEMORY_TOOL_ACTIONS));
    this.warehouseMcp = new McpHttpEndpoint<Principal>(({ caller }) => createWarehouseMcpServer(assistant, caller!, audit), authorizeByActions(WAREHOUSE_TOOL_ACTIONS));
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.memoryMcp.close(), this.warehouseMcp.close()]);
  }

  /** MCP 2026-07-28 and 2025-11-25, stateless, JSON answers (as the gateway's /mcp). */
  @Post('memory')
  @RequireAccess('memory:read', 'memory:write')
  memory(@Req() req: AuthenticatedRequest, @Res() res: Response) {
    return this.memoryMcp.handle(req, res, req.body, req.principal);
  }

  @Post('warehouse')
  @RequireAccess('read')
  warehouse(@Req() req: AuthenticatedRequest, @Res() res: Response) {
    return this.warehouseMcp.handle(req, res, req.body, req.principal);
  }

  @Get(['memory', 'warehouse'])
  @RequireAccess('memory:read', 'memory:write', 'read')
  @HttpCode(405)
  noStream() {
    return { error: { code: 'METHOD_NOT_ALLOWED', message: 'stateless MCP endpoint: POST JSON-RPC requests' } };
  }
}

class WriterShutdown implements OnApplicationShutdown {
  constructor(private readonly writer: MemoryWriter) {}
  async onApplicationShutdown(): Promise<void> {
    await this.writer.stop();
  }
}

/** HTTP side of the memory-writer (the consumer itself is a sink, not a Nest transport). */
@Module({})
export class MemoryWriterModule {
  static forWriter(writer: MemoryWriter, assistant: SqlAssistant): DynamicModule {
    return {
      module: MemoryWriterModule,
      controllers: [MemoryController, DataMcpController],
      providers: [
        { provide: MemoryWriter, useValue: writer },
        { provide: SqlAssistant, useValue: assistant },
        { provide: AUDIT, useValue: new AccessAuditLog(writer.producer, 'memory-writer') },
        { provide: WriterShutdown, useFactory: () => new WriterShutdown(writer) },
      ],
    };
  }
}
