import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PhoenixConfig } from '@phoenix/config';
import { PhoenixLogger } from '@phoenix/observability';
import { ApiKeyGuard } from './auth/api-key.guard';
import { HttpErrorFilter } from './errors/http-error.filter';
import { EventPublisherService } from './events/event-publisher.service';
import { EventsController } from './events/events.controller';
import { IdempotencyStore } from './idempotency/idempotency.store';
import { JsonBodyMiddleware } from './json-body.middleware';
import { OpenApiController } from './openapi/openapi.controller';

@Module({})
export class GatewayModule implements NestModule {
  static forRoot(config: PhoenixConfig, logger: PhoenixLogger): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [EventsController, OpenApiController],
      providers: [
        EventPublisherService,
        ApiKeyGuard,
        { provide: IdempotencyStore, useValue: new IdempotencyStore(config.gateway.idempotencyTtlMs, config.gateway.idempotencyMaxKeys) },
        { provide: APP_FILTER, useValue: new HttpErrorFilter(logger) },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes(EventsController);
  }
}
