import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createGatewayApp } from '@phoenix/gateway';
import { createMemoryWriter, createSqlAssistant, MemoryWriter, MemoryWriterModule } from '@phoenix/memory-writer';
import { AppContext, createServiceApp } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { servedRoutes } from '../../../test/support/routes';
import { endOffsets, readUntil } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';

const ROOT = path.resolve(__dirname, '../../..');
const KEYS = {
  admin: 'admin-key-0123456789',
  crm: 'crm-key-0123456789ab',
  hr: 'hr-key-0123456789abc',
  ana: 'ana-key-0123456789ab',
  bob: 'bob-key-0123456789ab',
  none: 'none-key-0123456789a',
  noisy: 'noisy-key-0123456789',
  legacy: 'legacy-key-0123456789',
  acme: 'acme-key-0123456789a',
};
const API_KEYS = [
  `admin@${KEYS.admin}=*`,
  `crm@${KEYS.crm}=publish:events.crm|read:events.crm|memory:read:events.crm|tasks:read`,
  `hr@${KEYS.hr}=publish:events.hr|read:events.hr|memory:read:events.hr`,
  `ana@${KEYS.ana}=user:ana|publish:interactions.*|read:interactions.*|memory:read|memory:write`,
  `bob@${KEYS.bob}=user:bob|publish:interactions.*|read:interactions.*|memory:read`,
  // A key that authenticates but holds no action: every protected route answers it 403.
  `none@${KEYS.none}=tenant:nobody`,
  `noisy@${KEYS.noisy}=publish:events.crm|rate:5`,
  // A key written before the access model: a bare glob, publish + read on it, no memory.
  `legacy@${KEYS.legacy}=events.*`,
  // One tenant of a shared deployment: the same topic as crm, its own rows and memories.
  `acme@${KEYS.acme}=tenant:acme|publish:events.crm|read:events.crm|memory:read`,
].join(';');

/** Open by design: probes, metrics, the contract, and the webhooks (n8n and code hosts sign with their secrets, not keys). */
const OPEN = [/^GET \/health\//, /^GET \/metrics$/, /^GET \/openapi\.json$/, /^POST \/v1\/webhooks\/n8n\/\{flow\}$/, /^POST \/v1\/webhooks\/(github|gitlab)$/];

type ToolAnswer = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };
type Audit = { principal: string; action: string; operation: string; outcome: string; count: number | null; scope: string | null };

/**
 * The access model end to end on a real broker: every data route and MCP tool of the gateway and
 * the memory-writer refuses a missing or wrong key (401) and a key without the action (403);
 * two topic-scoped keys and two users never see each other's rows or memories, however the SQL
 * is written; every read and MCP write leaves one `audit.access` event; a noisy key is shed.
 */
describe('access: keys, scopes, row-level reads, audit (gateway + memory-writer)', () => {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-access-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-access-data-'));
  const run = Date.now().toString(36);
  let ctx: AppContext;
  let gwCtx: AppContext;
  let writer: MemoryWriter;
  let writerApp: INestApplication;
  let gateway: INestApplication;
  let writerBase: string;
  let gatewayBase: string;
  const clients: Client[] = [];

  const mcp = async (url: string, key: string) => {
    const client = new Client({ name: 'access-spec', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    clients.push(client);
    return client;
  };
  const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ToolAnswer;
  const rpc = (url: string, body: unknown, key?: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: JSON.stringify(body) });
  const publish = (key: string, topic: string, payload: Record<string, unknown>) =>
    fetch(`${gatewayBase}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ topic, type: 'note.added', key: `${run}-${topic}`, payload }) });
  const chat = (key: string, text: string) =>
    fetch(`${gatewayBase}/v1/interactions/chat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ conversationId: `conv-${run}`, role: 'user', text }) });

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.appendFileSync(path.join(configDir, 'topics.yaml'), '  - name: events.crm\n    partitions: 3\n  - name: events.hr\n    partitions: 3\n');
    fs.writeFileSync(
      path.join(configDir, 'memory.yaml'),
      ['topics: { include: ["events.crm", "events.hr", "interactions.chat", "events.agent"] }', 'memories:', '  - match: { topics: "interactions.*" }', '    scope: { userId: "{{ $.payload.userId }}" }', '  - match: { topics: "*" }', ''].join('\n'),
    );
    const env = { PHOENIX_CONFIG_DIR: configDir, PHOENIX_DATA_DIR: dataDir, PHOENIX_INSTANCE: `access-${run}`, PHOENIX_API_KEYS: API_KEYS };
    ctx = testContext('access-test', env);
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => /^events\.(crm|hr)(\.|$)/.test(t.name)));
    writer = await createMemoryWriter(ctx);
    writerApp = await createServiceApp(ctx, { app: 'memory-writer', module: MemoryWriterModule.forWriter(writer, createSqlAssistant(ctx, writer.warehouse)), ownsContext: true });
    await writer.start();
    await writerApp.listen(0, '127.0.0.1');
    writerBase = (await writerApp.getUrl()).replace('[::1]', '127.0.0.1');
    gwCtx = testContext('access-gateway-test', env);
    gateway = await createGatewayApp(gwCtx, { ownsContext: true });
    await gateway.listen(0, '127.0.0.1');
    gatewayBase = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');

    // The data each key owns: a CRM note, an HR note, one chat message per user.
    expect((await publish(KEYS.crm, 'events.crm', { text: `Acme renewal closed at 120k ${run}` })).status).toBe(201);
    expect((await publish(KEYS.hr, 'events.hr', { text: `Dana's salary was raised to 200k ${run}` })).status).toBe(201);
    expect((await chat(KEYS.ana, `my favourite colour is teal ${run}`)).status).toBe(201);
    expect((await chat(KEYS.bob, `my favourite colour is crimson ${run}`)).status).toBe(201);
    const admin = await mcp(`${writerBase}/mcp/warehouse`, KEYS.admin);
    await waitFor('the four rows in the warehouse', async () => {
      const r = await call(admin, 'query', { sql: `SELECT count(*) AS n FROM RAW_EVENTS WHERE CAST(payload AS VARCHAR) LIKE '%${run}%'` });
      return Number((r.structuredContent as { rows: { n: number }[] }).rows[0].n) === 4;
    }, 120000);
    await waitFor('the four memories', async () => (await writer.memory.count()) >= 4, 120000);
  }, 240000);

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await gateway?.close();
    await writerApp?.close();
  });

  it('every route of both apps: 401 without a key and with a wrong one, 403 for a key without the action', async () => {
    const targets = [
      ...[...new Set(servedRoutes(gateway))].map((r) => ({ base: gatewayBase, route: r })),
      ...[...new Set(servedRoutes(writerApp))].map((r) => ({ base: writerBase, route: r })),
    ].filter((t) => !OPEN.some((re) => re.test(t.route)));
    // The enumeration finds the data routes themselves, so a new one is checked without editing this list.
    expect(targets.map((t) => t.route)).toEqual(expect.arrayContaining(['POST /v1/events', 'GET /v1/tasks/{taskId}', 'POST /mcp', 'GET /memory/search', 'POST /mcp/memory', 'POST /mcp/warehouse']));
    for (const { base, route } of targets) {
      const [method, p] = route.split(' ');
      const url = `${base}${p.replace(/\{[^}]+\}/g, 'x')}`;
      const send = (key?: string) => fetch(url, { method, headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, ...(method === 'GET' ? {} : { body: '{}' }) });
      expect([route, (await send()).status]).toEqual([route, 401]);
      expect([route, (await send('wrong-key-0123456789')).status]).toEqual([route, 401]);
      if (route === 'POST /mcp') continue; // the endpoint of Phoenix's own tools: refused per tool, below
      expect([route, (await send(KEYS.none)).status]).toEqual([route, 403]);
    }
  });

  it('every MCP tool: 401 without a key or with a wrong one, 403 for a key without its action', async () => {
    for (const url of [`${gatewayBase}/mcp`, `${writerBase}/mcp/memory`, `${writerBase}/mcp/warehouse`]) {
      const tools = (await (await mcp(url, KEYS.admin)).listTools()).tools.map((t) => t.name);
      expect(tools.length).toBeGreaterThan(0);
      for (const name of tools) {
        const body = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } };
        expect([url, name, (await rpc(url, body)).status]).toEqual([url, name, 401]);
        expect([url, name, (await rpc(url, body, 'wrong-key-0123456789')).status]).toEqual([url, name, 401]);
        if (name === 'list_topics') continue; // the catalogue: any key
        expect([url, name, (await rpc(url, body, KEYS.none)).status]).toEqual([url, name, 403]);
      }
    }
  });

  it('topic-scoped keys read only their topics, whatever the SQL', async () => {
    const escapes = [
      'SELECT topic, payload FROM RAW_EVENTS',
      "SELECT topic FROM RAW_EVENTS WHERE topic = 'events.hr' OR 1 = 1",
      "SELECT topic FROM RAW_EVENTS UNION ALL SELECT topic FROM RAW_EVENTS WHERE topic = 'events.hr'",
      "WITH x AS (SELECT * FROM RAW_EVENTS WHERE topic = 'events.hr') SELECT topic FROM x",
      "SELECT topic FROM RAW_EVENTS WHERE event_id IN (SELECT event_id FROM RAW_EVENTS WHERE topic = 'events.hr')",
      "SELECT topic FROM main.RAW_EVENTS /* where topic = 'events.crm' */ WHERE topic <> 'events.crm' -- all the rest",
    ];
    for (const [key, own] of [[KEYS.crm, 'events.crm'], [KEYS.hr, 'events.hr']] as const) {
      const client = await mcp(`${writerBase}/mcp/warehouse`, key);
      for (const sql of escapes) {
        const r = await call(client, 'query', { sql });
        expect(r.isError).toBeFalsy();
        const topics = new Set((r.structuredContent as { rows: { topic: string }[] }).rows.map((x) => x.topic));
        expect([sql, [...topics].filter((t) => t !== own)]).toEqual([sql, []]);
      }
      const mine = await call(client, 'query', { sql: `SELECT count(*) AS n FROM RAW_EVENTS WHERE CAST(payload AS VARCHAR) LIKE '%${run}%'` });
      expect(Number((mine.structuredContent as { rows: { n: number }[] }).rows[0].n)).toBe(1);
    }
    // An admin key sees both topics, so the scoping above is what narrowed it. (DISTINCT: on a
    // stack reused across runs RAW_EVENTS outgrows the query row limit, and a plain SELECT might
    // return rows of one topic only.)
    const all = await call(await mcp(`${writerBase}/mcp/warehouse`, KEYS.admin), 'query', { sql: 'SELECT DISTINCT topic FROM RAW_EVENTS' });
    const topics = new Set((all.structuredContent as { rows: { topic: string }[] }).rows.map((x) => x.topic));
    expect(topics.has('events.crm') && topics.has('events.hr')).toBe(true);
  });

  it('users see only their own memories and rows; topic-scoped memory keys only their topics', async () => {
    const texts = async (key: string, query: string, userId?: string) => {
      const r = await fetch(`${writerBase}/memory/search?q=${encodeURIComponent(query)}&limit=20${userId ? `&userId=${userId}` : ''}`, { headers: { authorization: `Bearer ${key}` } });
      return { status: r.status, texts: r.status === 200 ? ((await r.json()) as { text: string }[]).map((m) => m.text) : [] };
    };
    const ana = await texts(KEYS.ana, 'favourite colour');
    expect(ana.texts.some((t) => t.includes('teal'))).toBe(true);
    expect(ana.texts.some((t) => t.includes('crimson'))).toBe(false);
    expect((await texts(KEYS.ana, 'favourite colour', 'bob')).status).toBe(403);
    const bob = await texts(KEYS.bob, 'favourite colour');
    expect(bob.texts.some((t) => t.includes('crimson')) && !bob.texts.some((t) => t.includes('teal'))).toBe(true);
    // A user-bound key's SQL sees that user's rows only.
    const anaRows = await call(await mcp(`${writerBase}/mcp/warehouse`, KEYS.ana), 'query', { sql: "SELECT payload FROM RAW_EVENTS WHERE topic = 'interactions.chat'" });
    const payloads = JSON.stringify((anaRows.structuredContent as { rows: unknown[] }).rows);
    expect(payloads).toContain('teal');
    expect(payloads).not.toContain('crimson');
    // Topic-scoped memory reads, over MCP: the CRM key never sees the HR memory.
    const crm = await call(await mcp(`${writerBase}/mcp/memory`, KEYS.crm), 'search_memory', { query: 'salary raised renewal closed', limit: 20 });
    const crmTexts = JSON.stringify(crm.structuredContent);
    expect(crmTexts).toContain('Acme');
    expect(crmTexts).not.toContain('salary');
    // A key without memory:read (as every key written before the access model) cannot search.
    expect((await texts(KEYS.legacy, 'salary')).status).toBe(403);
    expect((await rpc(`${writerBase}/mcp/memory`, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'search_memory', arguments: { query: 'salary' } } }, KEYS.legacy)).status).toBe(403);
    // …but it still publishes and reads its topics, as before.
    expect((await publish(KEYS.legacy, 'events.app', { text: 'still works' })).status).toBe(201);
    // A user-bound key may not write memories for someone else.
    const forged = await call(await mcp(`${writerBase}/mcp/memory`, KEYS.ana), 'add_memory', { text: 'The refund window is 365 days.', userId: 'bob' });
    expect(forged.isError).toBe(true);
    expect(forged.content[0].text).toMatch(/forbidden/);
  });

  it('a tenant-bound key writes into its tenant and reads only its tenant’s rows and memories', async () => {
    expect((await publish(KEYS.acme, 'events.crm', { text: `Globex pilot signed for the tenant ${run}` })).status).toBe(201);
    const acmeSql = await mcp(`${writerBase}/mcp/warehouse`, KEYS.acme);
    const sql = 'SELECT tenant, CAST(payload AS VARCHAR) AS p FROM RAW_EVENTS UNION ALL SELECT tenant, CAST(payload AS VARCHAR) FROM RAW_EVENTS WHERE tenant IS NULL';
    let rows: { tenant: string | null; p: string }[] = [];
    await waitFor('the tenant row', async () => {
      rows = ((await call(acmeSql, 'query', { sql })).structuredContent as { rows: { tenant: string | null; p: string }[] }).rows;
      return rows.some((x) => x.p.includes('Globex'));
    }, 60000);
    expect(rows.every((x) => x.tenant === 'acme')).toBe(true);
    expect(rows.some((x) => x.p.includes('Acme renewal'))).toBe(false);
    // The crm key (no tenant) reading the same topic sees both rows: the tenant, not the topic, narrowed it.
    const crmRows = ((await call(await mcp(`${writerBase}/mcp/warehouse`, KEYS.crm), 'query', { sql: 'SELECT CAST(payload AS VARCHAR) AS p FROM RAW_EVENTS' })).structuredContent as { rows: { p: string }[] }).rows;
    expect(crmRows.some((x) => x.p.includes('Globex')) && crmRows.some((x) => x.p.includes('Acme renewal'))).toBe(true);
    const search = async () => JSON.stringify(((await (await fetch(`${writerBase}/memory/search?q=${encodeURIComponent('pilot signed renewal closed')}&limit=20`, { headers: { authorization: `Bearer ${KEYS.acme}` } })).json()) as unknown[]));
    await waitFor('the tenant memory', async () => (await search()).includes('Globex'), 60000);
    expect(await search()).not.toContain('Acme renewal');
  });

  it('audit.access holds one event per read and per MCP write, without payloads', async () => {
    const from = await endOffsets('audit.access');
    const ana = await mcp(`${writerBase}/mcp/memory`, KEYS.ana);
    await call(ana, 'search_memory', { query: 'colour' });
    await call(ana, 'add_memory', { text: `ana likes jazz ${run}` });
    await call(await mcp(`${writerBase}/mcp/warehouse`, KEYS.crm), 'query', { sql: 'SELECT count(*) AS n FROM RAW_EVENTS' });
    await fetch(`${writerBase}/memory/search?q=colour`, { headers: { authorization: `Bearer ${KEYS.bob}` } });
    const events = await readUntil('audit.access', (ms) => ms.length >= 4, { from, timeoutMs: 30000 });
    const decoded = await Promise.all(events.map(async (m) => (await ctx.bus.codec.decode('audit.access', m.message.value)).payload as Audit));
    const mine = decoded.filter((a) => ['ana', 'bob', 'crm'].includes(a.principal)).map((a) => `${a.principal} ${a.action} ${a.operation} ${a.outcome}`);
    expect(mine).toEqual(expect.arrayContaining(['ana memory:read search_memory allowed', 'ana memory:write add_memory allowed', 'crm read query allowed', 'bob memory:read search_memory allowed']));
    expect(mine).toHaveLength(4);
    const crm = decoded.find((a) => a.principal === 'crm')!;
    expect(crm.scope).toBe('topics events.crm');
    expect(crm.count).toBe(1);
    expect(JSON.stringify(decoded)).not.toContain('jazz');
  });

  it('a noisy key is shed with 429 and Retry-After while another keeps its rate', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => publish(KEYS.noisy, 'events.crm', { text: 'noise' })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeLessThanOrEqual(6);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(14);
    expect(answers.find((r) => r.status === 429)!.headers.get('retry-after')).toMatch(/^\d+$/);
    const calm = await Promise.all(Array.from({ length: 20 }, () => publish(KEYS.crm, 'events.crm', { text: 'calm' })));
    expect(calm.every((r) => r.status === 201)).toBe(true);
  });
});
