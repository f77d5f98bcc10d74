import { LineageIndex, LineageNode } from './lineage-index';

const node = (id: string, causationId: string | null, ingestedAt: number, topic = 'events.app'): LineageNode => ({
  id,
  type: 't',
  source: 's',
  topic,
  partition: 0,
  offset: '0',
  key: null,
  occurredAt: ingestedAt,
  ingestedAt,
  correlationId: 'c',
  causationId,
  tenant: null,
  preview: '{}',
});

describe('LineageIndex', () => {
  it('walks up to the topmost known cause and down every effect, ordered by time', () => {
    const idx = new LineageIndex();
    idx.add(node('root', null, 1000));
    idx.add(node('cmd-b', 'root', 1030, 'mcp.commands.x'));
    idx.add(node('cmd-a', 'root', 1010, 'mcp.commands.x'));
    idx.add(node('result', 'cmd-a', 1100, 'mcp.results'));
    const l = idx.lineage('result')!;
    expect(l.path).toEqual(['root', 'cmd-a', 'result']);
    expect(l.root.node.id).toBe('root');
    expect(l.root.children.map((c) => [c.node.id, c.afterRootMs])).toEqual([
      ['cmd-a', 10],
      ['cmd-b', 30],
    ]);
    expect(l.root.children[0].children[0]).toMatchObject({ node: { id: 'result' }, afterRootMs: 100 });
    expect(l).toMatchObject({ nodes: 4, truncated: false, causeOutsideIndex: null });
  });

  it('hides what the caller may not read but keeps its place in the tree', () => {
    const idx = new LineageIndex();
    idx.add(node('a', null, 0));
    idx.add(node('b', 'a', 5, 'interactions.chat'));
    idx.add(node('c', 'b', 9));
    const l = idx.lineage('a', (n) => n.topic !== 'interactions.chat')!;
    expect(l.root.children[0].node).toEqual({ id: 'b', hidden: true });
    expect(l.root.children[0].children[0].node).toMatchObject({ id: 'c' });
  });

  it('is bounded: the oldest events leave first, and an evicted cause is named', () => {
    const idx = new LineageIndex(3);
    idx.add(node('a', null, 0));
    idx.add(node('b', 'a', 1));
    idx.add(node('c', 'b', 2));
    idx.add(node('d', 'c', 3));
    expect(idx.size).toBe(3);
    expect(idx.get('a')).toBeUndefined();
    const l = idx.lineage('d')!;
    expect(l.path).toEqual(['b', 'c', 'd']);
    expect(l.causeOutsideIndex).toBe('a');
  });

  it('caps the tree and says so; a redelivered id and a causation cycle do not loop', () => {
    const idx = new LineageIndex(10_000, 5);
    idx.add(node('r', null, 0));
    for (let i = 0; i < 20; i++) idx.add(node(`k${i}`, 'r', i));
    idx.add(node('r', null, 0));
    const l = idx.lineage('r')!;
    expect(l.nodes).toBe(5);
    expect(l.truncated).toBe(true);

    const cyc = new LineageIndex();
    cyc.add(node('x', 'y', 0));
    cyc.add(node('y', 'x', 1));
    const c = cyc.lineage('x')!;
    expect(c.nodes).toBe(2);
  });

  it('decodes the nodes a lineage shows, once, and only those', async () => {
    const idx = new LineageIndex();
    const decoded: string[] = [];
    idx.decoder = async (n, raw) => {
      decoded.push(n.id);
      Object.assign(n, { preview: raw.toString(), ingestedAt: n.ingestedAt + 5 });
    };
    idx.add({ ...node('root', null, 1000), preview: '' }, Buffer.from('{"root":1}'));
    idx.add({ ...node('child', 'root', 1010), preview: '' }, Buffer.from('{"child":1}'));
    idx.add({ ...node('other', null, 2000), preview: '' }, Buffer.from('{"other":1}'));
    const l = (await idx.resolve('child'))!;
    expect(l.root.node).toMatchObject({ id: 'root', preview: '{"root":1}', ingestedAt: 1005 });
    expect(l.root.children[0].node).toMatchObject({ id: 'child', preview: '{"child":1}' });
    await idx.resolve('root');
    expect(decoded.sort()).toEqual(['child', 'root']);
  });
});
