import { BatchTally, foldBatch, newCheckpoint, offsetsDone, offsetsTotal, parseCheckpoint, planKeyOf, ReplayError, totals } from './replay-checkpoint';

const ranges = [
  { topic: 'events.a', partition: 0, start: '10', end: '20' },
  { topic: 'events.a', partition: 1, start: '5', end: '5' },
];
const tally = (over: Partial<BatchTally> = {}): BatchTally => ({ next: '15', bytes: 100, records: 3, scanned: 5, byType: { 'x.y': 3 }, first: 1000, last: 2000, skipped: [], done: false, ...over });

describe('replay checkpoint (pure parts)', () => {
  it('starts each partition at its range start; an empty range is done at once', () => {
    const cp = newCheckpoint('r1', 'k', ranges);
    expect(cp.parts['events.a:0']).toMatchObject({ next: '10', bytes: 0, records: 0, done: false });
    expect(cp.parts['events.a:1'].done).toBe(true);
    expect([offsetsDone(cp), offsetsTotal(cp)]).toEqual([0, 10]);
  });

  it('folds durable batches: counts add up, position and time bounds move, skipped records are listed', () => {
    const cp = newCheckpoint('r1', 'k', ranges);
    const st = cp.parts['events.a:0'];
    foldBatch(st, tally());
    foldBatch(st, tally({ next: '20', bytes: 50, records: 1, scanned: 5, byType: { 'x.y': 1, 'x.z': 1 }, first: 900, last: 2500, skipped: [{ offset: '17', error: 'bad bytes' }], done: true }));
    expect(st).toEqual({ next: '20', bytes: 150, records: 4, scanned: 10, byType: { 'x.y': 4, 'x.z': 1 }, first: 900, last: 2500, done: true, skipped: [{ offset: '17', error: 'bad bytes' }] });
    expect(offsetsDone(cp)).toBe(10);
    expect(totals(cp)).toEqual({ scanned: 10, byTopic: { 'events.a': 4 }, byType: { 'x.y': 4, 'x.z': 1 }, first: 900, last: 2500, skipped: [{ topic: 'events.a', partition: 0, offset: '17', error: 'bad bytes' }] });
  });

  it('keys a plan by selection and output: another output is another replay', () => {
    const sel = { topics: ['events.a'] };
    expect(planKeyOf(sel, { kind: 'jsonl', path: '/x' })).toBe(planKeyOf({ topics: ['events.a'] }, { kind: 'jsonl', path: '/x' }));
    expect(planKeyOf(sel, { kind: 'jsonl', path: '/x' })).not.toBe(planKeyOf(sel, { kind: 'parquet', path: '/x' }));
  });

  it('reads back what it writes, and refuses a damaged checkpoint naming what is wrong', () => {
    const cp = newCheckpoint('r1', 'k', ranges);
    expect(parseCheckpoint(JSON.parse(JSON.stringify(cp)), 'cp.json', 'start over')).toEqual(cp);
    expect(() => parseCheckpoint({ ...cp, ranges: [{ ...ranges[0], end: 'x' }] }, 'cp.json', 'start over')).toThrow(/cp\.json is not a version-1 checkpoint \(ranges\.0\.end: .*\); start over/);
    const missing = { ...cp, parts: { 'events.a:0': cp.parts['events.a:0'] } };
    expect(() => parseCheckpoint(missing, 'cp.json', 'start over')).toThrow(ReplayError);
    expect(() => parseCheckpoint(missing, 'cp.json', 'start over')).toThrow(/has no state for events\.a:1/);
  });
});
