import { failureKindOf, PhoenixError } from './phoenix-error';

enum ThingErrorCode {
  Down = 'THING_DOWN',
}
class ThingError extends PhoenixError<ThingErrorCode> {}

describe('PhoenixError', () => {
  it('carries code, kind, cause and the subclass name; retriable means unavailable', () => {
    const cause = new Error('socket hang up');
    const e = new ThingError(ThingErrorCode.Down, 'the thing is down', { kind: 'unavailable', cause });
    expect(e).toBeInstanceOf(Error);
    expect([e.code, e.kind, e.retriable, e.name, e.message, e.cause]).toEqual([ThingErrorCode.Down, 'unavailable', true, 'ThingError', 'the thing is down', cause]);
    expect(new ThingError(ThingErrorCode.Down, 'no', { kind: 'record' }).retriable).toBe(false);
    expect(new ThingError(ThingErrorCode.Down, 'no', { kind: 'app' }).retriable).toBe(false);
  });

  it("classifies anything thrown: a PhoenixError by its kind, the rest as a passing failure", () => {
    expect(failureKindOf(new ThingError(ThingErrorCode.Down, 'x', { kind: 'app' }))).toBe('app');
    expect(failureKindOf(new TypeError('x'))).toBe('unavailable');
    expect(failureKindOf('a string')).toBe('unavailable');
  });
});
