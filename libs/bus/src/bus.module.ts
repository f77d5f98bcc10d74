import { DynamicModule, Global, Module } from '@nestjs/common';
import { EventCodec, TopicCatalogue } from '@phoenix/contracts';
import { BusRuntime } from './bus-runtime';
import { EventProducer } from './event-producer';
import { TopicAdmin } from './topic-admin';

/** Provides the process's {@link BusRuntime} pieces to Nest: producer, codec, catalogue, admin. */
@Global()
@Module({})
export class BusModule {
  static forRuntime(runtime: BusRuntime): DynamicModule {
    return {
      module: BusModule,
      providers: [
        { provide: BusRuntime, useValue: runtime },
        { provide: EventProducer, useValue: runtime.producer },
        { provide: EventCodec, useValue: runtime.codec },
        { provide: TopicCatalogue, useValue: runtime.catalogue },
        { provide: TopicAdmin, useValue: runtime.admin },
      ],
      exports: [BusRuntime, EventProducer, EventCodec, TopicCatalogue, TopicAdmin],
    };
  }
}
