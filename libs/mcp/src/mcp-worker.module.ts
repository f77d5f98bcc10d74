import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import { CapabilitiesController, McpCommandsController } from './mcp-worker.controllers';
import { McpWorker } from './mcp-worker';

class McpWorkerShutdown implements OnApplicationShutdown {
  constructor(private readonly worker: McpWorker) {}
  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }
}

@Module({})
export class McpWorkerModule {
  static forWorker(worker: McpWorker): DynamicModule {
    return {
      module: McpWorkerModule,
      controllers: [McpCommandsController, CapabilitiesController],
      providers: [{ provide: McpWorker, useValue: worker }, { provide: McpWorkerShutdown, useFactory: () => new McpWorkerShutdown(worker) }],
    };
  }
}
