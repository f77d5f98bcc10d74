import { Controller, DynamicModule, Get, HttpCode, Inject, Module, OnApplicationShutdown, Post, Query, Req, Res } from '@nestjs/common';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Request, Response } from 'express';
import { createMemoryMcpServer, createWarehouseMcpServer } from '@phoenix/phoenix-mcp';
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

/** Serves one stateless MCP request with a fresh server. */
async function serveMcp(server: McpServer, req: Request, res: Response): Promise<void> {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
}

/**
 * Phoenix's own MCP servers for its data, next to the stores they read: `phoenix-memory`
 * (search_memory, add_memory) and `phoenix-warehouse` (query, nl_to_sql, ask). Internal port:
 * workers and agents inside the deployment reach them over Streamable HTTP.
 */
@Controller('mcp')
class DataMcpController {
  constructor(
    @Inject(MemoryWriter) private readonly writer: MemoryWriter,
    @Inject(SqlAssistant) private readonly assistant: SqlAssistant,
  ) {}

  @Post('memory')
  memory(@Req() req: Request, @Res() res: Response) {
    return serveMcp(createMemoryMcpServer(this.writer.memory, this.writer.producer), req, res);
  }

  @Post('warehouse')
  warehouse(@Req() req: Request, @Res() res: Response) {
    return serveMcp(createWarehouseMcpServer(this.assistant), req, res);
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
