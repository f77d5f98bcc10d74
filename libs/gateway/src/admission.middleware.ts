import { Injectable, NestMiddleware } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { InjectConfig, PhoenixConfig } from '@phoenix/config';
import { GatewayError, GatewayErrorCode } from './errors/gateway.exception';

/**
 * Bounds the publish requests the gateway holds at once (`GATEWAY_MAX_IN_FLIGHT`). Past the
 * bound a request is answered 429 with `Retry-After` before its body is read, so overload costs
 * the shed client one round trip and the gateway no memory, and accepted requests keep their
 * latency instead of queueing behind everyone else until clients time out.
 */
@Injectable()
export class AdmissionMiddleware implements NestMiddleware {
  private inFlight = 0;
  private readonly max: number;

  constructor(@InjectConfig() config: PhoenixConfig) {
    this.max = config.gateway.maxInFlight;
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (this.inFlight >= this.max) {
      // Shed requests leave their bodies unread; closing the connection stops the client
      // from sending the rest of it.
      res.setHeader('Connection', 'close');
      throw new GatewayError(GatewayErrorCode.Overloaded, `the gateway is at its limit of ${this.max} requests in flight; retry after the time in Retry-After`);
    }
    this.inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.inFlight--;
    };
    res.once('finish', release);
    res.once('close', release);
    next();
  }
}
