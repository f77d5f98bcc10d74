import { runByKey } from './key-lanes';

type Item = { key: string; n: number };
const items = (spec: string): Item[] => spec.split(' ').map((s, n) => ({ key: s, n }));

describe('runByKey', () => {
  it('keeps the order within a key and runs different keys side by side', async () => {
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    await runByKey(items('a b a c b a'), (i) => i.key, async (i) => {
      running++;
      peak = Math.max(peak, running);
      log.push(`start ${i.key}${i.n}`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`end ${i.key}${i.n}`);
      running--;
    });
    const order = (key: string) => log.filter((l) => l.startsWith('start ' + key)).map((l) => l.slice(6));
    expect(order('a')).toEqual(['a0', 'a2', 'a5']);
    expect(order('b')).toEqual(['b1', 'b4']);
    // Never two of one key at once: each start of a key comes after the end of its previous item.
    for (const key of ['a', 'b']) {
      const mine = log.filter((l) => l.slice(l.indexOf(' ') + 1).startsWith(key));
      for (let i = 0; i < mine.length; i += 2) {
        expect(mine[i]).toMatch(/^start/);
        expect(mine[i + 1]).toMatch(/^end/);
      }
    }
    expect(peak).toBe(3);
  });

  it('stops a key at its first failure, lets the other keys finish, then rejects with that failure', async () => {
    const ran: number[] = [];
    const boom = new Error('deferred');
    await expect(
      runByKey(items('a b a b b'), (i) => i.key, async (i) => {
        ran.push(i.n);
        if (i.n === 0) throw boom;
        await new Promise((r) => setTimeout(r, 2));
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
