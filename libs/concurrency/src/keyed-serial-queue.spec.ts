import { KeyedSerialQueue } from './keyed-serial-queue';

/** A piece of work that finishes when the spec says so. */
function gate() {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { done, open, fail };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedSerialQueue', () => {
  it('runs one piece of work at a time per key, in call order, and keys side by side', async () => {
    const q = new KeyedSerialQueue();
    const started: string[] = [];
    const gates = { a1: gate(), a2: gate(), b1: gate() };
    const run = (key: string, name: keyof typeof gates) => q.run(key, async () => {
      started.push(name);
      await gates[name].done;
      return name;
    });
    const results = [run('a', 'a1'), run('a', 'a2'), run('b', 'b1')];
    await tick();
    expect(started).toEqual(['a1', 'b1']);
    gates.b1.open();
    await tick();
    expect(started).toEqual(['a1', 'b1']);
    gates.a1.open();
    await tick();
    expect(started).toEqual(['a1', 'b1', 'a2']);
    gates.a2.open();
    await expect(Promise.all(results)).resolves.toEqual(['a1', 'a2', 'b1']);
    expect(q.size).toBe(0);
  });

  it('a failure rejects its caller only; the next work of the key still runs', async () => {
    const q = new KeyedSerialQueue();
    const first = q.run('k', async () => {
      throw new Error('boom');
    });
    const second = q.run('k', async () => 'ran');
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('ran');
  });
});
