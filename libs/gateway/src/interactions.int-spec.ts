import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ChatMessage, Feedback } from '@phoenix/contracts';
import { createMemoryWriter, MemoryWriter } from '@phoenix/memory-writer';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { endOffsets, readEvents } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';
import { createGatewayApp } from './gateway.app';

const ROOT = path.resolve(__dirname, '../../..');
const KEY = 'test-key-interactions-0123456789';

/**
 * Chat, actions and feedback over HTTP and MCP land typed on interactions.*, and the
 * memory-writer turns feedback into a memory that names the answer it rated.
 */
describe('interactions (HTTP + MCP → Kafka → memory)', () => {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-interactions-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-interactions-data-'));
  const conversation = `conv-${Date.now()}`;
  // This run's user: memories of earlier runs on the same broker (the writer reads from the
  // start) share the texts, and must not crowd this run's out of a top-5 search.
  const user = `ana-${Date.now()}`;
  let ctx: AppContext;
  let writerCtx: AppContext;
  let writer: MemoryWriter;
  let app: INestApplication;
  let base: string;
  let from: Record<'chat' | 'feedback' | 'actions', Map<number, string>>;

  const post = (kind: string, body: unknown) =>
    fetch(`${base}/v1/interactions/${kind}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify(body) });

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, 'memory.yaml'), 'topics: { include: ["interactions.*"] }\nmemories:\n  - match: { topics: "interactions.*" }\n    scope: { userId: "{{ $.payload.userId }}" }\n');
    const instance = `interactions-${Date.now()}`;
    // The gateway reads the memory store the writer writes (same data directory), as in a deployment.
    ctx = testContext('interactions-test', { PHOENIX_API_KEYS: `${KEY}=*`, PHOENIX_CONFIG_DIR: configDir, PHOENIX_DATA_DIR: dataDir, PHOENIX_INSTANCE: instance });
    await ctx.bus.admin.apply();
    from = { chat: await endOffsets('interactions.chat'), feedback: await endOffsets('interactions.feedback'), actions: await endOffsets('interactions.actions') };
    writerCtx = testContext('interactions-writer', { PHOENIX_CONFIG_DIR: configDir, PHOENIX_DATA_DIR: dataDir, PHOENIX_INSTANCE: instance });
    writer = await createMemoryWriter(writerCtx);
    await writer.start();
    app = await createGatewayApp(ctx, { ownsContext: true });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }, 180000);

  afterAll(async () => {
    await writer?.stop();
    await writerCtx?.close();
    await app?.close();
  });

  it('records a conversation and feedback on the answer; feedback becomes a memory naming the answer', async () => {
    const question = await post('chat', { conversationId: conversation, role: 'user', userId: user, text: 'What is our refund window for annual plans?' });
    expect(question.status).toBe(201);
    const answer = await post('chat', { conversationId: conversation, role: 'assistant', userId: user, text: 'Annual plans can be refunded within 14 days.', model: 'fixture-llm', correlationId: 'corr-refunds' });
    expect(answer.status).toBe(201);
    const { responseId, messageId } = (await answer.json()) as { responseId: string; messageId: string };
    expect(responseId).toMatch(/^[0-9a-f-]{36}$/);
    expect(messageId).toMatch(/^[0-9a-f-]{36}$/);

    // A person rates an answer after reading it: by then the writer has seen the answer.
    await waitFor('the answer in memory', async () => (await writer.memory.search('refund annual plans', { scope: { userId: user }, limit: 10 })).some((h) => h.text.includes('14 days')), 120000);
    const fb = await post('feedback', { responseId, kind: 'correction', userId: user, correction: 'Annual plans are refundable within 30 days, pro-rated.', comment: 'policy changed in March', correlationId: 'corr-refunds' });
    expect(fb.status).toBe(201);
    const { feedbackId } = (await fb.json()) as { feedbackId: string };

    const chats = await readEvents<ChatMessage>(ctx.bus.codec, 'interactions.chat', (es) => es.filter((e) => e.event.payload.conversationId === conversation).length >= 2, { from: from.chat });
    const mine = chats.filter((e) => e.event.payload.conversationId === conversation);
    expect(mine.map((e) => e.event.type)).toEqual(['chat.message.user', 'chat.message.assistant']);
    expect(mine.every((e) => e.event.key === conversation && e.partition === mine[0].partition)).toBe(true);
    expect(mine[1].event.payload).toMatchObject({ responseId, role: 'assistant', model: 'fixture-llm' });

    const feedback = await readEvents<Feedback>(ctx.bus.codec, 'interactions.feedback', (es) => es.some((e) => e.event.payload.feedbackId === feedbackId), { from: from.feedback });
    const f = feedback.find((e) => e.event.payload.feedbackId === feedbackId)!;
    expect(f.event).toMatchObject({ type: 'feedback.correction', key: responseId, correlationId: 'corr-refunds', payload: { responseId, kind: 'correction', userId: user } });

    // The memory an agent reads before answering the same question next time.
    await waitFor('the feedback memory', async () => (await writer.memory.search('refund window annual plan correction', { scope: { userId: user }, limit: 5 })).some((h) => h.metadata.event_id === f.event.id), 120000);
    const hit = (await writer.memory.search('refund window annual plan correction', { scope: { userId: user }, limit: 5 })).find((h) => h.metadata.event_id === f.event.id)!;
    expect(hit.text).toContain('30 days');
    expect(hit.text).toContain('Annual plans can be refunded within 14 days');
    // It quotes the question the answer replied to, so the question asked again finds it.
    expect(hit.text).toContain('the answer to "What is our refund window for annual plans?"');

    // Through the gateway: the question asked again ranks the correction above the corrected answer;
    // rerank=false (the first stage only) answers too; a rerank that is not a boolean is refused.
    const search = async (params: Record<string, string>) => fetch(`${base}/v1/memory/search?${new URLSearchParams({ userId: user, limit: '10', ...params })}`, { headers: { authorization: `Bearer ${KEY}` } });
    const res = await search({ q: 'What is our refund window for annual plans?' });
    expect(res.status).toBe(200);
    const { memories } = (await res.json()) as { memories: { text: string; score: number; metadata: { event_id: string } }[] };
    const rank = (id: string) => memories.findIndex((m) => m.metadata.event_id === id);
    const answerEvent = mine[1].event.id;
    expect(rank(f.event.id)).toBeGreaterThanOrEqual(0);
    expect(rank(answerEvent) === -1 || rank(f.event.id) < rank(answerEvent)).toBe(true);
    const plain = await search({ q: 'refund window', rerank: 'false' });
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as { memories: unknown[] }).memories.length).toBeGreaterThan(0);
    const bad = await search({ q: 'refund window', rerank: 'maybe' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('/query/rerank');
  });

  it('feedback and actions through the MCP tools', async () => {
    const client = new Client({ name: 'spec', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${KEY}` } } }));
    try {
      const answer = (await client.callTool({ name: 'record_chat', arguments: { conversationId: conversation, role: 'assistant', text: 'Your invoice is attached.' } })) as unknown as { structuredContent: { responseId: string } };
      const responseId = answer.structuredContent.responseId;
      expect(responseId).toBeTruthy();
      const rated = (await client.callTool({ name: 'record_feedback', arguments: { responseId, kind: 'thumbs', thumbs: 'up' } })) as unknown as { isError?: boolean; structuredContent: { feedbackId: string } };
      expect(rated.isError).toBeFalsy();
      const bad = (await client.callTool({ name: 'record_feedback', arguments: { responseId, kind: 'rating' } })) as { isError?: boolean; content: { text: string }[] };
      expect(bad.isError).toBe(true);
      expect(bad.content[0].text).toMatch(/rating/);
      const feedback = await readEvents<Feedback>(ctx.bus.codec, 'interactions.feedback', (es) => es.some((e) => e.event.payload.feedbackId === rated.structuredContent.feedbackId), { from: from.feedback });
      expect(feedback.find((e) => e.event.payload.feedbackId === rated.structuredContent.feedbackId)!.event.payload).toMatchObject({ responseId, kind: 'thumbs', thumbs: 'up' });
    } finally {
      await client.close();
    }
  });

  it('UI actions are typed and keyed by session', async () => {
    const res = await post('actions', { sessionId: 'sess-1', userId: 'ana', action: 'clicked', target: 'button#export', value: { format: 'csv' } });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const actions = await readEvents(ctx.bus.codec, 'interactions.actions', (es) => es.some((e) => e.event.id === id), { from: from.actions });
    expect(actions.find((e) => e.event.id === id)!.event).toMatchObject({ type: 'ui.clicked', key: 'sess-1', payload: { target: 'button#export', value: { format: 'csv' } } });
  });

  it('rejects bad interactions with the fields at fault', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['feedback', { responseId: 'r1', kind: 'rating' }, 400, /\/rating/],
      ['feedback', { kind: 'thumbs', thumbs: 'up' }, 400, /\/responseId/],
      ['feedback', { responseId: 'r1', kind: 'rating', rating: 9 }, 400, /\/rating/],
      ['chat', { conversationId: 'c', role: 'robot', text: 'hi' }, 400, /\/role/],
      ['chat', { conversationId: 'c', role: 'user', text: 'hi', colour: 'red' }, 400, /\/colour/],
      ['likes', { responseId: 'r1' }, 404, /Cannot POST \/v1\/interactions\/likes/],
    ];
    for (const [kind, body, status, pattern] of cases) {
      const res = await post(kind, body);
      expect({ kind, status: res.status }).toEqual({ kind, status });
      expect(JSON.stringify(await res.json())).toMatch(pattern);
    }
    const anon = await fetch(`${base}/v1/interactions/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anon.status).toBe(401);
  });
});
