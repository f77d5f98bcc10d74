import { Backoff, backoffDelay, KeyedBackoff } from './backoff';
import { Semaphore } from './semaphore';
import { TokenBucket } from './token-bucket';

describe('Backoff', () => {
  it('doubles from the initial wait up to the maximum, and starts over after a reset', () => {
    const b = new Backoff(250, 1000);
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([250, 500, 1000, 1000]);
    b.reset();
    expect([b.last, b.next()]).toEqual([0, 250]);
    expect([1, 2, 3, 10].map((a) => backoffDelay(a, 500, 60_000))).toEqual([500, 1000, 2000, 60_000]);
  });
  it('keeps one backoff per key, forgotten on reset', () => {
    const k = new KeyedBackoff(100, 400);
    expect([k.next('a'), k.next('a'), k.next('b')]).toEqual([100, 200, 100]);
    k.reset('a');
    expect([k.next('a'), k.size]).toEqual([100, 2]);
  });
});

describe('Semaphore', () => {
  it('admits up to its count and serves waiters in arrival order; a release counts once', async () => {
    const s = new Semaphore(1);
    const r1 = await s.acquire();
    const order: string[] = [];
    const w2 = s.acquire().then((r) => (order.push('2'), r));
    const w3 = s.acquire().then((r) => (order.push('3'), r));
    r1();
    r1();
    const r2 = await w2;
    expect(order).toEqual(['2']);
    r2();
    (await w3)();
    expect(order).toEqual(['2', '3']);
  });
});

describe('TokenBucket', () => {
  it('bursts a second of tokens, then gives them at the rate, saying how long until the next', () => {
    const b = new TokenBucket(2, 0);
    expect([b.take(0), b.take(0)]).toEqual([{ ok: true }, { ok: true }]);
    expect(b.take(0)).toEqual({ ok: false, waitMs: 500 });
    expect(b.take(250)).toEqual({ ok: false, waitMs: 250 });
    expect(b.take(500)).toEqual({ ok: true });
  });
});
