import { planRanges, PartitionOffsets } from './replay-plan';

const offsets = (entries: Record<string, PartitionOffsets[]>) => new Map(Object.entries(entries));
const p = (partition: number, low: string, high: string, over: Partial<PartitionOffsets> = {}): PartitionOffsets => ({ partition, low, high, ...over });

describe('planRanges (pure: the broker offsets come in, ranges go out)', () => {
  it('covers every partition from the log start to the log end, topics then partitions in order', () => {
    expect(planRanges({ topics: ['events.*'] }, offsets({ 'events.b': [p(1, '0', '5'), p(0, '2', '9')], 'events.a': [p(0, '0', '3')] }))).toEqual([
      { topic: 'events.a', partition: 0, start: '0', end: '3' },
      { topic: 'events.b', partition: 0, start: '2', end: '9' },
      { topic: 'events.b', partition: 1, start: '0', end: '5' },
    ]);
  });

  it('keeps the selected partitions only', () => {
    expect(planRanges({ topics: ['t'], partitions: [1] }, offsets({ t: [p(0, '0', '3'), p(1, '0', '4')] }))).toEqual([{ topic: 't', partition: 1, start: '0', end: '4' }]);
  });

  it('starts and ends at explicit offsets before times, clamped into the log', () => {
    const sel = { topics: ['t'], fromOffsets: { 't:0': '1' }, toOffsets: { 't:0': '99' }, fromTime: 1, toTime: 2 };
    expect(planRanges(sel, offsets({ t: [p(0, '0', '10', { atFromTime: '4', atToTime: '6' }), p(1, '3', '10', { atFromTime: '5', atToTime: '7' })] }))).toEqual([
      { topic: 't', partition: 0, start: '1', end: '10' },
      { topic: 't', partition: 1, start: '5', end: '7' },
    ]);
  });

  it('never ends before it starts (a time window past the log end, or a start after the end)', () => {
    expect(planRanges({ topics: ['t'], fromOffsets: { 't:0': '8' }, toOffsets: { 't:0': '2' } }, offsets({ t: [p(0, '0', '10')] }))).toEqual([{ topic: 't', partition: 0, start: '8', end: '8' }]);
    expect(planRanges({ topics: ['t'], fromOffsets: { 't:0': '0' } }, offsets({ t: [p(0, '5', '10')] }))).toEqual([{ topic: 't', partition: 0, start: '5', end: '10' }]);
  });
});
