import { runByKey } from './key-lanes';

type Item = { key: string; n: number };
const items = (spec: string): Item[] => spec.split(' ').map((s, n) => ({ key: s, n }));

/** A run whose items finish only when the spec says so: no timers, the order is the spec's. */
function controlled() {
  const log: string[] = [];
  const pending = new Map<number, () => void>();
  const run = (i: Item) =>
    new Promise<void>((resolve) => {
      log.push(`start ${i.key}${i.n}`);
      pending.set(i.n, () => {
        log.push(`end ${i.key}${i.n}`);
        resolve();
      });
    });
  const finish = async (n: number) => {
    pending.get(n)!();
    pending.delete(n);
    for (let k = 0; k < 5; k++) await Promise.resolve(); // let the lane start its next item
  };
  return { log, pending, run, finish };
}

describe('runByKey', () => {
  it('keeps the order within a key and runs different keys side by side', async () => {
    const c = controlled();
    const done = runByKey(items('a b a c b a'), (i) => i.key, c.run);
    await Promise.resolve();
    // One item per key in flight: a0, b1, c3 — never a2 before a0 has ended.
    expect([...c.pending.keys()].sort()).toEqual([0, 1, 3]);
    await c.finish(0);
    expect([...c.pending.keys()].sort()).toEqual([1, 2, 3]);
    await c.finish(2);
    await c.finish(1);
    await c.finish(3);
    await c.finish(4);
    expect([...c.pending.keys()]).toEqual([5]);
    await c.finish(5);
    await done;
    const order = (key: string) => c.log.filter((l) => l.startsWith(`start ${key}`)).map((l) => l.slice(6));
    expect(order('a')).toEqual(['a0', 'a2', 'a5']);
    expect(order('b')).toEqual(['b1', 'b4']);
  });

  it('stops a key at its first failure, lets the other keys finish, then rejects with that failure', async () => {
    const ran: number[] = [];
    const boom = new Error('deferred');
    await expect(
      runByKey(items('a b a b b'), (i) => i.key, async (i) => {
        ran.push(i.n);
        if (i.n === 0) throw boom;
      }),
    ).rejects.toBe(boom);
    expect(ran.sort()).toEqual([0, 1, 3, 4]); // a2 never ran: it waits behind a0
  });

  it('does nothing for no items', async () => {
    const run = jest.fn();
    await runByKey([], () => '', run);
    expect(run).not.toHaveBeenCalled();
  });
});
