import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { LOCAL_SERVICE_KEY } from '@phoenix/config';
import { AppContext, createServiceApp } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { waitFor } from '../../../test/support/wait';
import { createMemoryWriter, createSqlAssistant } from './factories';
import { MemoryWriter } from './memory-writer';
import { MemoryWriterModule } from './memory-writer.module';

const ROOT = path.resolve(__dirname, '../../..');

type ToolAnswer = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };

describe('phoenix-memory and phoenix-warehouse MCP servers (official SDK client, Streamable HTTP)', () => {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-data-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-data-data-'));
  let ctx: AppContext;
  let writer: MemoryWriter;
  let app: INestApplication;
  let base: string;
  const clients: Client[] = [];

  const connect = async (server: 'memory' | 'warehouse') => {
    const client = new Client({ name: 'spec', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    // Phoenix's own service credential, as the workers send it (config/mcp-servers.yaml).
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/${server}`), { requestInit: { headers: { authorization: `Bearer ${LOCAL_SERVICE_KEY}` } } }));
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    clients.push(client);
    return client;
  };
  const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ToolAnswer;

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, 'memory.yaml'), 'topics: { include: ["events.agent"] }\nmemories:\n  - match: { topics: "events.agent", types: "memory.note" }\n  - match: { topics: "*" }\n    skip: true\n');
    ctx = testContext('data-mcp-test', { PHOENIX_CONFIG_DIR: configDir, PHOENIX_DATA_DIR: dataDir, PHOENIX_INSTANCE: `data-mcp-${Date.now()}` });
    writer = await createMemoryWriter(ctx);
    app = await createServiceApp(ctx, { app: 'memory-writer', module: MemoryWriterModule.forWriter(writer, createSqlAssistant(ctx, writer.warehouse)), ownsContext: true });
    await writer.start();
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }, 180000);

  afterAll(async () => {
    for (const c of clients) await c.close();
    await app?.close();
  });

  it('phoenix-warehouse runs guarded SQL and refuses anything else', async () => {
    const client = await connect('warehouse');
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['ask', 'nl_to_sql', 'query']);
    const ok = await call(client, 'query', { sql: "SELECT count(*) AS n FROM RAW_EVENTS WHERE topic = 'events.agent'" });
    expect(ok.isError).toBeFalsy();
    expect(ok.structuredContent!.sql).toMatch(/LIMIT 200$/);
    for (const sql of ['DROP TABLE RAW_EVENTS', 'SELECT * FROM KAFKA_OFFSETS', 'SELECT 1 FROM RAW_EVENTS; DELETE FROM RAW_EVENTS']) {
      const refused = await call(client, 'query', { sql });
      expect(refused.isError).toBe(true);
      expect(refused.content[0].text).toMatch(/SQL_NOT_READ_ONLY/);
    }
    const nl = await call(client, 'nl_to_sql', { question: 'how many deals were won?' });
    expect(nl.isError).toBe(true);
    expect(nl.content[0].text).toMatch(/needs Snowflake Cortex .* or an LLM endpoint/);
  });

  it('phoenix-memory adds a memory through Kafka and finds it by meaning', async () => {
    const client = await connect('memory');
    const added = await call(client, 'add_memory', { text: 'The Acme renewal closed at 120k after the pricing call', key: 'acme' });
    expect(added.isError).toBeFalsy();
    const eventId = added.structuredContent!.eventId as string;
    await waitFor('the memory', async () => {
      const found = await call(client, 'search_memory', { query: 'Acme deal won', limit: 5 });
      const memories = (found.structuredContent as { memories: { metadata: { event_id: string } }[] }).memories;
      return memories.some((m) => m.metadata.event_id === eventId);
    }, 120000);
  });
});
