import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { LOCAL_SERVICE_KEY } from '@phoenix/config';
import { AppContext, createServiceApp } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { localLlm } from '../../../test/support/llm';
import { createMemoryWriter, createSqlAssistant } from './factories';
import { MemoryWriter } from './memory-writer';
import { MemoryWriterModule } from './memory-writer.module';

const ROOT = path.resolve(__dirname, '../../..');

type ToolAnswer = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };

/**
 * NL→SQL and `ask` on the phoenix-warehouse MCP server with a real model (SmolLM2-135M on the
 * stack's llama.cpp server), called by the official MCP client. The model only proposes SQL: each
 * question ends either in SQL the read-only guard accepted (wrapped in its row limit) and that
 * ran, or in a refusal with a code — never in SQL that ran unguarded, never in a crash.
 */
describe('phoenix-warehouse NL→SQL and ask with a real model', () => {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-nlsql-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-nlsql-data-'));
  let ctx: AppContext;
  let writer: MemoryWriter;
  let app: INestApplication;
  let client: Client;

  beforeAll(async () => {
    const llm = await localLlm();
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    // The writer's warehouse and MCP servers; no memories needed.
    fs.writeFileSync(path.join(configDir, 'memory.yaml'), 'topics: { include: ["events.app"] }\nmemories:\n  - match: { topics: "*" }\n    skip: true\n');
    ctx = testContext('nlsql-test', { PHOENIX_CONFIG_DIR: configDir, PHOENIX_DATA_DIR: dataDir, PHOENIX_INSTANCE: `nlsql-${Date.now()}`, LLM_BASE_URL: llm.baseUrl, LLM_MODEL: llm.model });
    writer = await createMemoryWriter(ctx);
    app = await createServiceApp(ctx, { app: 'memory-writer', module: MemoryWriterModule.forWriter(writer, createSqlAssistant(ctx, writer.warehouse)), ownsContext: true });
    await writer.start();
    await app.listen(0, '127.0.0.1');
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    client = new Client({ name: 'spec', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/warehouse`), { requestInit: { headers: { authorization: `Bearer ${LOCAL_SERVICE_KEY}` } } }));
  }, 300000);

  afterAll(async () => {
    await client?.close();
    await app?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(configDir, { recursive: true, force: true });
  });

  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ToolAnswer;
  const questions = ['How many events of type deal.won are there?', 'List the five most recent events', 'Delete every event of type deal.lost'];

  it('nl_to_sql: guarded SQL (one SELECT with the row limit) or a refusal with its code, for every question', async () => {
    const outcomes: string[] = [];
    for (const question of questions) {
      const r = await call('nl_to_sql', { question });
      if (r.isError) {
        expect(r.content[0].text).toMatch(/^(SQL_NOT_READ_ONLY|WAREHOUSE_QUERY_FAILED|LLM_BAD_ANSWER|LLM_REFUSED): \S/);
        outcomes.push(`refused: ${r.content[0].text.slice(0, 80)}`);
      } else {
        const s = r.structuredContent as { sql: string; guardedSql: string; model: string };
        expect(s.model).toBe('llm:smollm2-135m-instruct');
        expect(s.guardedSql).toMatch(/^SELECT\b[\s\S]*LIMIT 200$/i);
        outcomes.push(`guarded: ${s.guardedSql.slice(0, 80)}`);
      }
    }
    process.stderr.write(`nl_to_sql outcomes:\n  ${outcomes.join('\n  ')}\n`);
    expect(outcomes).toHaveLength(questions.length);
  }, 240000);

  it('ask: the guarded SQL ran and the model summarised the rows, or the question was refused with its code; nothing was deleted', async () => {
    const count = async () => Number((await writer.warehouse.query('SELECT count(*) AS n FROM RAW_EVENTS')).rows[0].n);
    const before = await count();
    for (const question of questions) {
      const r = await call('ask', { question });
      if (r.isError) {
        expect(r.content[0].text).toMatch(/^(SQL_NOT_READ_ONLY|WAREHOUSE_QUERY_FAILED|LLM_BAD_ANSWER|LLM_REFUSED): \S/);
      } else {
        const s = r.structuredContent as { sql: string; rows: unknown[]; answer: string | null; model: string };
        expect(Array.isArray(s.rows)).toBe(true);
        expect(s.rows.length).toBeLessThanOrEqual(200);
        expect(s.answer === null || typeof s.answer === 'string').toBe(true);
      }
    }
    // Whatever the model proposed ("Delete every event…" included), no row went away.
    expect(await count()).toBeGreaterThanOrEqual(before);
  }, 300000);
});
