import { BusError, BusErrorCode } from '@phoenix/bus';
import { ContractError, ContractErrorCode } from '@phoenix/contracts';
import { AccessError, AccessErrorCode } from '@phoenix/access';
import { mapError } from './errors/error-response';
import { GatewayError, GatewayErrorCode } from './errors/gateway.exception';
import { IdempotencyStore } from './idempotency/idempotency.store';

describe('mapError', () => {
  it.each([
    [new GatewayError(GatewayErrorCode.Unauthenticated, 'x'), 401],
    [new GatewayError(GatewayErrorCode.Forbidden, 'x'), 403],
    [new GatewayError(GatewayErrorCode.PayloadTooLarge, 'x'), 413],
    [new ContractError(ContractErrorCode.EventInvalid, 'x'), 400],
    [new ContractError(ContractErrorCode.UnknownTopic, 'x'), 404],
    [new ContractError(ContractErrorCode.RegistryUnavailable, 'x'), 503],
    [new BusError(BusErrorCode.BrokerUnavailable, 'x'), 503],
    [new BusError(BusErrorCode.SendTimeout, 'x'), 503],
    [new BusError(BusErrorCode.MessageTooLarge, 'x'), 413],
    [new AccessError(AccessErrorCode.Unauthenticated, 'x'), 401],
    [new AccessError(AccessErrorCode.Forbidden, 'x'), 403],
    [new AccessError(AccessErrorCode.RateLimited, 'x', 2), 429],
    [new Error('anything'), 500],
  ])('%s → %i', (err, status) => {
    expect(mapError(err).status).toBe(status);
  });

  it('never leaks internal messages of unknown errors', () => {
    expect(mapError(new Error('password=hunter2')).body.error.message).toBe('internal error');
  });
});

it('a rate-limited key gets its Retry-After', () => {
  expect(mapError(new AccessError(AccessErrorCode.RateLimited, 'x', 2)).retryAfterSeconds).toBe(2);
});

describe('IdempotencyStore', () => {
  it('replays a stored answer, refuses a different body, and reuses event ids after a failure', async () => {
    const store = new IdempotencyStore(60000, 10);
    const fp = IdempotencyStore.fingerprint('POST /v1/events', { a: 1 });
    expect(await store.begin('k', fp)).toEqual({ kind: 'new', eventIds: [] });
    await store.run('k', fp, ['id-1'], async () => ({ status: 503, body: {} }));
    expect(await store.begin('k', fp)).toEqual({ kind: 'new', eventIds: ['id-1'] });
    await store.run('k', fp, ['id-1'], async () => ({ status: 201, body: { id: 'id-1' } }));
    expect(await store.begin('k', fp)).toEqual({ kind: 'replay', response: { status: 201, body: { id: 'id-1' } } });
    expect(await store.begin('k', IdempotencyStore.fingerprint('POST /v1/events', { a: 2 }))).toEqual({ kind: 'mismatch' });
  });

  it('a concurrent duplicate waits for the first and gets its answer', async () => {
    const store = new IdempotencyStore(60000, 10);
    const fp = 'f';
    let finish!: (v: { status: number; body: unknown }) => void;
    const first = store.run('k', fp, ['id'], () => new Promise((r) => (finish = r)));
    const second = store.begin('k', fp);
    finish({ status: 201, body: 'ok' });
    await first;
    expect(await second).toEqual({ kind: 'replay', response: { status: 201, body: 'ok' } });
  });

  it('is bounded', async () => {
    const store = new IdempotencyStore(60000, 2);
    for (const k of ['a', 'b', 'c']) await store.run(k, 'f', [], async () => ({ status: 201, body: k }));
    expect(await store.begin('a', 'f')).toEqual({ kind: 'new', eventIds: [] });
    expect((await store.begin('c', 'f')).kind).toBe('replay');
  });
});
