import { ConfigError } from '@phoenix/config';
import { CORE_TOPICS, createEnvelope, JsonValue, RouterStatus, TopicCatalogue, TopicSpec } from '@phoenix/contracts';
import { dryRun, parseRuleText, routesOverview, STALE_AFTER_MS } from './routes-overview';

const extra = (name: string, family: TopicSpec['family']): TopicSpec => ({ ...CORE_TOPICS[0], name, family });
const catalogue = new TopicCatalogue([...CORE_TOPICS, extra('cdc.hubspot.deals', 'cdc'), extra('mcp.commands.hubspot', 'mcp-command')]);

const rule = (name: string, over: Record<string, unknown> = {}) => ({ name, enabled: true, match: { topics: ['events.app'] }, emit: [{ topic: { name: 'events.agent' } }], ...over }) as unknown as JsonValue;
const status = (process: string, over: Partial<RouterStatus> = {}): RouterStatus => ({
  process,
  file: '/cfg/routes.yaml',
  loadedAt: 1000,
  startedAt: 900,
  updatedAt: 10_000,
  lastRejectedAt: null,
  lastRejectedError: null,
  rules: [{ name: 'a', config: rule('a'), hits: 3, emitted: 3, skipped: 0, errors: 1, lastHitAt: 5000, lastErrorAt: 4000, lastErrorMessage: 'broker said no' }],
  ...over,
});

describe('routesOverview', () => {
  it('sums the counts of live routers and leaves stale ones out of the sums', () => {
    const now = 10_000;
    const o = routesOverview(
      [
        status('p1'),
        status('p2', { rules: [{ name: 'a', config: rule('a'), hits: 4, emitted: 2, skipped: 2, errors: 0, lastHitAt: 7000, lastErrorAt: null, lastErrorMessage: null }] }),
        status('dead', { updatedAt: now - STALE_AFTER_MS - 1 }),
      ],
      now,
    );
    expect(o.rules).toHaveLength(1);
    expect(o.rules[0]).toMatchObject({ name: 'a', hits: 7, emitted: 5, skipped: 2, errors: 1, lastHitAt: 7000, lastErrorMessage: 'broker said no', targets: ['events.agent'], topics: ['events.app'] });
    expect(o.routers.map((r) => [r.process, r.stale])).toEqual([['p1', false], ['p2', false], ['dead', true]]);
  });

  it('takes the rules of the router that loaded last and reports the newest rejection', () => {
    const o = routesOverview(
      [
        status('old', { loadedAt: 1000, lastRejectedAt: 500, lastRejectedError: 'old problem' }),
        status('new', { loadedAt: 3000, rules: [{ name: 'b', config: rule('b'), hits: 1, emitted: 1, skipped: 0, errors: 0, lastHitAt: null, lastErrorAt: null, lastErrorMessage: null }], lastRejectedAt: 4000, lastRejectedError: 'route "x": MCP server "nowhere" is not configured' }),
      ],
      10_000,
    );
    expect(o.rules.map((r) => r.name)).toEqual(['b']);
    expect(o.lastRejected).toEqual({ process: 'new', at: 4000, error: 'route "x": MCP server "nowhere" is not configured', rejectedNow: true });
    expect(o.routers.find((r) => r.process === 'old')!.rejectedNow).toBe(false);
  });

  it('has no rules and no rejection before any router reported', () => {
    expect(routesOverview([], 0)).toEqual({ routers: [], rules: [], lastRejected: null });
  });
});

describe('dry runs', () => {
  const event = createEnvelope({ type: 'order.placed', source: 'shop', key: 'o-1', payload: { total: 42 } });

  it('plans the emits of matching rules and says why the others do not match', () => {
    const rules = parseRuleText(
      `- name: big-orders\n  match: { topics: events.app, types: order.*, where: [{ path: $.payload.total, gt: 10 }] }\n  emit:\n    - mcp: { server: hubspot, tool: create_note, arguments: { text: "order {{ key }}" } }\n- name: huge-orders\n  match: { topics: events.app, where: [{ path: $.payload.total, gt: 1000 }] }\n  emit: [{ topic: { name: events.agent } }]\n- name: chats\n  match: { topics: interactions.chat }\n  emit: [{ topic: { name: events.agent } }]\n`,
      catalogue,
    );
    const [big, huge, chats] = dryRun(rules, 'events.app', event);
    expect(big).toMatchObject({ rule: 'big-orders', matched: true, reason: null });
    expect(big.emits).toHaveLength(1);
    expect(big.emits[0]).toMatchObject({ kind: 'mcp', target: 'mcp.commands.hubspot', outcome: 'emitted' });
    expect(big.emits[0].event).toMatchObject({ type: 'mcp.command', key: 'o-1', causationId: event.id, payload: { tool: 'create_note', idempotencyKey: `${event.id}:big-orders:0` } });
    expect(huge).toMatchObject({ matched: false, emits: [] });
    expect(huge.reason).toMatch(/where\[0\].*does not hold/);
    expect(chats.reason).toBe('topic events.app is not one of interactions.chat');
  });

  it('skips side effects for a replayed event, as the router does', () => {
    const rules = parseRuleText('{"name":"r","match":{"topics":"events.app"},"emit":[{"mcp":{"server":"hubspot","tool":"t"}},{"topic":{"name":"events.agent"}}]}', catalogue);
    const [r] = dryRun(rules, 'events.app', event, true);
    expect(r.emits.map((e) => [e.kind, e.outcome, e.event === undefined])).toEqual([
      ['mcp', 'skipped-replay', true],
      ['topic', 'emitted', false],
    ]);
  });

  it('rejects a pasted rule the router would reject, naming the problem', () => {
    expect(() => parseRuleText('name: r\nmatch: { topics: events.app }\nemit: [{ mcp: { server: nowhere, tool: t } }]', catalogue)).toThrow(/MCP server "nowhere" is not configured/);
    expect(() => parseRuleText('42', catalogue)).toThrow(ConfigError);
    expect(() => parseRuleText('name: [', catalogue)).toThrow(/not valid YAML/);
  });
});
