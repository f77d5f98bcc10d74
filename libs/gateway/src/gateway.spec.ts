import { BusError, BusErrorCode } from '@phoenix/bus';
import { ContractError, ContractErrorCode } from '@phoenix/contracts';
import { AccessError, AccessErrorCode } from '@phoenix/access';
import { mapError } from './errors/error-response';
import { GatewayError, GatewayErrorCode } from './errors/gateway.exception';
import { GatewayClaim } from '@phoenix/contracts';
import { applyClaim, KeyState } from './idempotency/claim-state';

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

describe('applyClaim (the rule every gateway replica applies to gateway.claims)', () => {
  const claim = (claimId: string, at: number, extra: Partial<GatewayClaim> = {}): GatewayClaim => ({ op: 'claim', claimId, fingerprint: 'fp', eventIds: [`ev-${claimId}`], status: null, body: null, at, expiresAt: at + 1000, ...extra });
  const run = (records: GatewayClaim[]) => {
    let state: KeyState | undefined;
    const won: string[] = [];
    for (const r of records) {
      const out = applyClaim(state, r);
      state = out.state;
      if (out.won) won.push(r.claimId);
    }
    return { state: state!, won };
  };

  it('the first live claim wins; later ones lose while it is in progress or answered', () => {
    const r = run([claim('a', 0), claim('b', 10), { ...claim('a', 20), op: 'answer', status: 201, body: '{"id":"x"}', expiresAt: 5000 }, claim('c', 30)]);
    expect(r.won).toEqual(['a']);
    expect(r.state.answer).toEqual({ fingerprint: 'fp', response: { status: 201, body: { id: 'x' } }, expiresAt: 5000 });
  });

  it('a released claim frees the key, and the next winner reuses its event ids', () => {
    const r = run([claim('a', 0), { ...claim('a', 5), op: 'release', eventIds: ['ev-a'] }, claim('b', 10)]);
    expect(r.won).toEqual(['a', 'b']);
    expect(r.state.owner?.eventIds).toEqual(['ev-a']);
  });

  it('a claim left unanswered past its time (its gateway died) is taken over with the same event ids', () => {
    const r = run([claim('a', 0), claim('b', 500), claim('c', 2000)]);
    expect(r.won).toEqual(['a', 'c']);
    expect(r.state.owner).toMatchObject({ claimId: 'c', eventIds: ['ev-a'] });
  });

  it('an answer counts until it expires, by the records’ own times', () => {
    const r = run([claim('a', 0), { ...claim('a', 1), op: 'answer', status: 201, body: 'null', expiresAt: 100 }, claim('b', 50), claim('c', 150)]);
    expect(r.won).toEqual(['a', 'c']);
  });
});
