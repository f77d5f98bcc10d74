import { applyDecorators, ArgumentsHost, Catch, Controller, RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';

/**
 * Nest's default RPC filter turns every handler error into a generic "Internal server error";
 * the bus needs the original (typed) error to choose between retry and DLQ.
 */
@Catch()
export class BusErrorPassthroughFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/** Marks a class whose methods handle bus events (`@OnEvent`). */
export const BusController = (): ClassDecorator => applyDecorators(Controller(), UseFilters(BusErrorPassthroughFilter));

/**
 * Handles every event on the topics matching `topicPattern` (a catalogue topic or a glob such as
 * `cdc.*`). Type the payload with `EventOf<'…'>`: `@Payload() event: EventOf<'cdc.hubspot.deals'>`.
 * Each consumed topic must resolve to exactly one handler, or the app refuses to start.
 */
export const OnEvent = (topicPattern: string): MethodDecorator => EventPattern(topicPattern);
