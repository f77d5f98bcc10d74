/**
 * Runs `run` over `items` with order kept per key: items sharing a key go one after the other, in
 * the order given; different keys go side by side (the caller bounds concurrency). A key stops at
 * its first failure — its later items are not run — while the other keys finish. Rejects with the
 * first failure once every lane has settled.
 */
export async function runByKey<T>(items: readonly T[], keyOf: (item: T) => string, run: (item: T) => Promise<void>): Promise<void> {
  const lanes = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const lane = lanes.get(key);
    if (lane) lane.push(item);
    else lanes.set(key, [item]);
  }
  const results = await Promise.allSettled(
    [...lanes.values()].map(async (lane) => {
      for (const item of lane) await run(item);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
