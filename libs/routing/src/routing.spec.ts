import { ConfigError } from '@phoenix/config';
import { CORE_TOPICS, createEnvelope, render, TopicCatalogue, TopicSpec } from '@phoenix/contracts';
import { compileRoute } from './route-matcher';
import { parseRoutes } from './route-table';
import { routeSchema } from './routes.config';

const extra = (name: string, family: TopicSpec['family']): TopicSpec => ({ ...CORE_TOPICS[0], name, family });
const catalogue = new TopicCatalogue([...CORE_TOPICS, extra('cdc.hubspot.deals', 'cdc'), extra('mcp.commands.hubspot', 'mcp-command')]);

const deal = (over: Record<string, unknown> = {}) =>
  createEnvelope({
    type: 'deal.changed',
    source: 'estuary',
    key: 'deal-1',
    payload: { system: 'hubspot', schema: null, table: 'deals', primaryKey: { id: 1 }, op: 'update', before: null, after: { stage: 'won', amount: 5000 }, changedFields: ['stage'], position: { lsn: null, txId: null, uuid: null, binlog: null }, sourceTs: null, snapshot: false, ...over },
  });

const route = (match: Record<string, unknown>) => compileRoute(routeSchema.parse({ name: 'r', match, emit: [{ topic: { name: 'events.agent' } }] }));

describe('route matching', () => {
  it('matches on topic, type, source, table, op and changed fields', () => {
    expect(route({ topics: 'cdc.*', types: 'deal.*', sources: 'estuary', tables: 'deals', ops: ['update'], changedFields: ['stage', 'owner'] }).matches('cdc.hubspot.deals', deal())).toBe(true);
    expect(route({ topics: 'cdc.*', ops: ['create'] }).matches('cdc.hubspot.deals', deal())).toBe(false);
    expect(route({ topics: 'cdc.*', changedFields: ['owner'] }).matches('cdc.hubspot.deals', deal())).toBe(false);
    expect(route({ topics: 'events.*' }).matches('cdc.hubspot.deals', deal())).toBe(false);
    // CDC conditions never match non-CDC events.
    expect(route({ topics: '*', tables: 'deals' }).matches('events.app', createEnvelope({ type: 'x', source: 's', payload: { table: 'deals' } }))).toBe(false);
  });

  it('evaluates JSONPath predicates', () => {
    const where = (w: Record<string, unknown>) => route({ topics: 'cdc.*', where: [w] }).matches('cdc.hubspot.deals', deal());
    expect(where({ path: '$.payload.after.stage', equals: 'won' })).toBe(true);
    expect(where({ path: '$.payload.after.stage', in: ['lost', 'won'] })).toBe(true);
    expect(where({ path: '$.payload.after.amount', gt: 1000, lte: 5000 })).toBe(true);
    expect(where({ path: '$.payload.after.amount', lt: 1000 })).toBe(false);
    expect(where({ path: '$.payload.after.owner', exists: false })).toBe(true);
    expect(where({ path: '$.key', matches: '^deal-\\d+$' })).toBe(true);
    expect(where({ path: '$.payload.after.stage', notEquals: 'won' })).toBe(false);
  });
});

describe('templates', () => {
  it('keeps types for whole placeholders and splices text otherwise', () => {
    const e = deal();
    expect(render({ id: '{{ $.payload.primaryKey.id }}', text: 'deal {{$.payload.primaryKey.id}} is {{ $.payload.after.stage }}', after: '{{ $.payload.after }}', missing: '{{ $.nope }}' }, e)).toEqual({
      id: 1,
      text: 'deal 1 is won',
      after: { stage: 'won', amount: 5000 },
      missing: null,
    });
  });
});

describe('parseRoutes', () => {
  it('lists every problem: schema errors, unknown targets, bad regexes, duplicate names', () => {
    const text = `
routes:
  - name: a
    match: { topics: cdc.*, where: [{ path: $.x, matches: "(" }] }
    emit: [{ mcp: { server: gong, tool: t } }, { n8n: { flow: nope } }]
  - name: a
    match: { topics: billing.* }
    emit: [{ topic: { name: events.nowhere } }]
  - name: b
    match: { topics: cdc.* }
    emit: [{ wat: {} }]
`;
    try {
      parseRoutes(text, 'routes.yaml', catalogue);
      throw new Error('expected ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n')).toMatch(/routes\.2\.emit\.0/);
    }
    const semantic = `
routes:
  - name: a
    match: { topics: cdc.*, where: [{ path: $.x, matches: "(" }] }
    emit: [{ mcp: { server: gong, tool: t } }, { n8n: { flow: nope } }]
  - name: c
    match: { topics: billing.* }
    emit: [{ topic: { name: events.nowhere } }]
`;
    try {
      parseRoutes(semantic, 'routes.yaml', catalogue);
      throw new Error('expected ConfigError');
    } catch (err) {
      const all = (err as ConfigError).problems.join('\n');
      expect(all).toContain('MCP server "gong" is not configured');
      expect(all).toContain('n8n flow "nope" is not configured');
      expect(all).toContain('"billing.*" matches no topic');
      expect(all).toContain('topic events.nowhere is not in the catalogue');
      expect(all).toContain('where[0].matches');
    }
    expect(() => parseRoutes('routes:\n  - name: x\n    match: { topics: cdc.* }\n    emit: [{ topic: { name: events.app } }]\n  - name: x\n    match: { topics: cdc.* }\n    emit: [{ topic: { name: events.app } }]\n', 'f', catalogue)).toThrow(/duplicate route name/);
    expect(() => parseRoutes(': : :', 'f', catalogue)).toThrow(/not valid YAML/);
  });
});
