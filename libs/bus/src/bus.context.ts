import { BaseRpcContext } from '@nestjs/microservices';
import { MessageMeta } from './event-consumer';

/** `@Ctx()` of a bus handler: where the event was read and how often it was tried. */
export class BusContext extends BaseRpcContext<[MessageMeta]> {
  constructor(meta: MessageMeta) {
    super([meta]);
  }

  get meta(): MessageMeta {
    return this.args[0];
  }
}
