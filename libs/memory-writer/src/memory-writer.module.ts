import { Controller, DynamicModule, Get, HttpCode, Inject, Module, OnApplicationShutdown, OnModuleDestroy, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createMemoryMcpServer, createWarehouseMcpServer, McpHttpEndpoint } from '@phoenix/phoenix-mcp';
import { SqlAssistant } from '@phoenix/warehouse';
import { MemoryWriter } from './memory-writer';

@Controller('memory')
class MemoryController {
  constructor(@Inject(MemoryWriter) private readonly writer: MemoryWriter) {}

  /** Semantic search over what Phoenix remembers (live namespace unless ?namespace=shadow). */
  @Get('search')
  search(@Query('q') q: string, @Query('limit') limit?: string, @Query('namespace') namespace?: string) {
    return this.writer.memory.search(q ?? '', { limit: limit ? Number(limit) : 10, ...(namespace === 'shadow' ? { namespace: 'shadow' } : {}) } as never);
  }
}

/**
 * Phoenix's own MCP servers for its data, next to the stores they read: `phoenix-memory`
 * (search_memory, add_memory) and `phoenix-warehouse` (query, nl_to_sql, ask). Internal port:
 * workers and agents inside the deployment reach them over Streamable HTTP.
 */
@Controller('mcp')
class DataMcpController implements OnModuleDestroy {
  private readonly memoryMcp: McpHttpEndpoint;
  private readonly warehouseMcp: McpHttpEndpoint;

  constructor(@Inject(MemoryWriter) writer: MemoryWriter, @Inject(SqlAssistant) assistant: SqlAssistant) {
    this.memoryMcp = new McpHttpEndpoint(() => createMemoryMcpServer(writer.memory, writer.producer));
    this.warehouseMcp = new McpHttpEndpoint(() => createWarehouseMcpServer(assistant));
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.memoryMcp.close(), this.warehouseMcp.close()]);
  }

  /** MCP 2026-07-28 and 2025-11-25, stateless, JSON answers (as the gateway's /mcp). */
  @Post('memory')
  memory(@Req() req: Request, @Res() res: Response) {
    return this.memoryMcp.handle(req, res, req.body);
  }

  @Post('warehouse')
  warehouse(@Req() req: Request, @Res() res: Response) {
    return this.warehouseMcp.handle(req, res, req.body);
  }

  @Get(['memory', 'warehouse'])
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
        { provide: WriterShutdown, useFactory: () => new WriterShutdown(writer) },
      ],
    };
  }
}
