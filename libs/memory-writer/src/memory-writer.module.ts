import { Controller, DynamicModule, Get, Inject, Module, OnApplicationShutdown, Query } from '@nestjs/common';
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

class WriterShutdown implements OnApplicationShutdown {
  constructor(private readonly writer: MemoryWriter) {}
  async onApplicationShutdown(): Promise<void> {
    await this.writer.stop();
  }
}

/** HTTP side of the memory-writer (the consumer itself is a sink, not a Nest transport). */
@Module({})
export class MemoryWriterModule {
  static forWriter(writer: MemoryWriter): DynamicModule {
    return {
      module: MemoryWriterModule,
      controllers: [MemoryController],
      providers: [{ provide: MemoryWriter, useValue: writer }, { provide: WriterShutdown, useFactory: () => new WriterShutdown(writer) }],
    };
  }
}
