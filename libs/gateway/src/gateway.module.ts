import { DynamicModule, MiddlewareConsumer, Module, NestModule, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PhoenixConfig } from '@phoenix/config';
import { PhoenixLogger } from '@phoenix/observability';
import { AccessGuard } from '@phoenix/access';
import { HttpErrorFilter } from './errors/http-error.filter';
import { EventPublisherService } from './events/event-publisher.service';
import { EventsController } from './events/events.controller';
import { ClaimLog } from './idempotency/claim-log';
import { JsonBodyMiddleware } from './json-body.middleware';
import { OpenApiController } from './openapi/openapi.controller';
import { OpenApiRoutes } from './openapi/openapi.document';
import { McpEndpointController } from './mcp/mcp-endpoint.controller';
import { N8N_CONFIG, N8nWebhookController } from './webhooks/n8n-webhook.controller';
import { GithubWebhookController } from './webhooks/github-webhook.controller';
import { GitlabWebhookController } from './webhooks/gitlab-webhook.controller';
import { CodeDeliveryPublisher } from './webhooks/code-delivery.publisher';
import { InteractionsController } from './interactions/interactions.controller';
import { loadN8nConfig } from '@phoenix/n8n';
import { PhoenixViews } from '@phoenix/phoenix-mcp';
import { ConsoleFeed, LagSampler } from '@phoenix/console';
import { ConsoleController } from './console/console.controller';
import { DeadLettersController } from './console/dead-letters.controller';
import { TasksController } from './tasks/tasks.controller';
import { MemoryController } from './memory/memory.controller';
import { RoutesController } from './routes/routes.controller';
import { DatasetsController } from './datasets/datasets.controller';

class ViewsShutdown implements OnApplicationShutdown {
  constructor(
    private readonly views: PhoenixViews,
    private readonly claims: ClaimLog,
    private readonly feed: ConsoleFeed,
    private readonly lag: LagSampler,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.views.stop(), this.claims.stop(), this.feed.stop(), this.lag.stop()]);
  }
}

@Module({})
export class GatewayModule implements NestModule {
  static forRoot(config: PhoenixConfig, logger: PhoenixLogger, views: PhoenixViews, env?: NodeJS.ProcessEnv): DynamicModule {
    const routes = new OpenApiRoutes();
    // Nonces and Idempotency-Key answers, shared by every replica through Kafka.
    const claims = new ClaimLog(views.bus, { inFlightMs: 30_000, decideMs: 5_000 });
    // What the console reads (live tail, lineage, rates): one consumer over every topic.
    const feed = new ConsoleFeed(views.bus, { lookbackPerPartition: config.gateway.console.lookback, maxEntries: config.gateway.console.lineageMax, idleMs: config.gateway.console.idleMs, enabled: config.gateway.console.feed });
    const lag = new LagSampler(views.bus.kafka, logger, { instance: config.instance, everyMs: 5000, keep: 120, dlqTopics: () => feed.readTopics().filter((t) => t.endsWith('.dlq')) });
    views.lineage = feed.lineage;
    return {
      module: GatewayModule,
      controllers: [EventsController, OpenApiController, McpEndpointController, N8nWebhookController, GithubWebhookController, GitlabWebhookController, InteractionsController, ConsoleController, DeadLettersController, TasksController, MemoryController, RoutesController, DatasetsController],
      providers: [
        EventPublisherService,
        CodeDeliveryPublisher,
        AccessGuard,
        { provide: ClaimLog, useValue: claims },
        { provide: ConsoleFeed, useValue: feed },
        { provide: LagSampler, useValue: lag },
        { provide: OpenApiRoutes, useValue: routes },
        { provide: APP_FILTER, useValue: new HttpErrorFilter(logger, routes) },
        { provide: PhoenixViews, useValue: views },
        { provide: N8N_CONFIG, useValue: loadN8nConfig(config.paths.config, env) },
        { provide: ViewsShutdown, useFactory: () => new ViewsShutdown(views, claims, feed, lag) },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes(EventsController, McpEndpointController, N8nWebhookController, GithubWebhookController, GitlabWebhookController, InteractionsController, DeadLettersController, TasksController, RoutesController, MemoryController);
  }
}
