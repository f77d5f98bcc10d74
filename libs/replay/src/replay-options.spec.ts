import { output, ReplayOptionError, ReplayOptions, selection } from './replay-options';

describe('replay options', () => {
  it('parses a full selection', () => {
    const sel = selection({ topics: 'cdc.*, events.app', partitions: '0,2', from: '2026-11-01T00:00:00Z', to: '1795000000000', fromOffsets: 'events.app:0=10,events.app:2=7', type: 'deal.*', source: 'crm', where: '{"path":"$.payload.op","equals":"update"}' });
    expect(sel).toEqual({
      topics: ['cdc.*', 'events.app'],
      partitions: [0, 2],
      fromTime: Date.parse('2026-11-01T00:00:00Z'),
      toTime: 1795000000000,
      fromOffsets: { 'events.app:0': '10', 'events.app:2': '7' },
      toOffsets: undefined,
      types: ['deal.*'],
      sources: ['crm'],
      where: [{ path: '$.payload.op', equals: 'update' }],
    });
  });

  it.each([
    [{}, /--topics is required/],
    [{ topics: 'x', from: 'yesterday-ish' }, /--from: expected epoch ms or an ISO-8601 time/],
    [{ topics: 'x', fromOffsets: 'events.app=10' }, /--from-offsets: expected topic:partition=offset/],
    [{ topics: 'x', where: '{path:' }, /--where is not JSON/],
  ])('rejects %j', (opts, message) => {
    expect(() => selection(opts as Record<string, string>)).toThrow(ReplayOptionError);
    expect(() => selection(opts as Record<string, string>)).toThrow(message);
  });

  it('picks exactly one output', () => {
    expect(output({ out: 'a/b.parquet' })).toMatchObject({ kind: 'parquet' });
    expect(output({ toTopic: 'deals' })).toEqual({ kind: 'topic', target: 'retrain.deals' });
    expect(output({ toLive: true } as unknown as ReplayOptions)).toEqual({ kind: 'topic', target: 'live' });
    expect(() => output({ out: 'x.csv' })).toThrow(/\.jsonl or \.parquet/);
    expect(() => output({})).toThrow(/--out <file>, --to-topic <name> or --to-live/);
  });
});
