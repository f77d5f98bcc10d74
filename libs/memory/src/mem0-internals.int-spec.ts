import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Memory } from 'mem0ai/oss';
import { setLibraryEnv } from '@phoenix/config';

/**
 * The contract Mem0Store relies on when it swaps Mem0's SQLite stores for Phoenix's indexed ones
 * (mem0.store.ts): Mem0 (pinned exactly in package.json) keeps its memory store in `vectorStore`
 * and its entity store in `_entityStore`, reads and deletes through them, and its memory store
 * holds the SQLite file open as `db`. An upgrade that changes any of this fails here first.
 */
describe('mem0ai internals Phoenix patches (contract)', () => {
  const root = path.resolve(__dirname, '../../..');
  const pinned = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies.mem0ai;

  it('is the exact version package.json pins', () => {
    const installed = (JSON.parse(fs.readFileSync(path.join(root, 'node_modules/mem0ai/package.json'), 'utf8')) as { version: string }).version;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed).toBe(pinned);
  });

  it('keeps its stores in vectorStore / _entityStore and reads, searches and deletes through vectorStore', async () => {
    setLibraryEnv('MEM0_TELEMETRY');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Memory: Mem0 } = require('mem0ai/oss') as typeof import('mem0ai/oss');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mem0-contract-'));
    const vec = (n: number) => Array.from({ length: 4 }, (_, i) => (i === n % 4 ? 1 : 0));
    const embeddings = { embedQuery: async () => vec(0), embedDocuments: async (texts: string[]) => texts.map((_, i) => vec(i)) };
    const mem: Memory = new Mem0({
      embedder: { provider: 'langchain', config: { model: embeddings } as never },
      vectorStore: { provider: 'memory', config: { collectionName: 'contract', dimension: 4, dbPath: path.join(dir, 'vectors.db') } as never },
      llm: { provider: 'openai', config: { apiKey: 'not-used', model: 'not-used' } as never },
      historyDbPath: path.join(dir, 'history.db'),
    });
    await mem.getAll({ filters: { agent_id: 'contract' }, topK: 1 });
    const internals = mem as unknown as Record<string, unknown> & { getEntityStore(): Promise<unknown> };
    expect(Object.keys(internals)).toContain('vectorStore');
    const db = (internals.vectorStore as { db?: { open?: boolean; close(): void } }).db;
    expect(db?.open).toBe(true);

    // Swap in a recording store, as Mem0Store swaps in its own: Mem0 must read through it.
    const calls: string[] = [];
    const hit = { id: 'm-1', payload: { data: 'remembered', agent_id: 'contract', hash: 'h', createdAt: new Date().toISOString() }, score: 0.9 };
    const recording = {
      initialize: async () => undefined,
      get: async (id: string) => (calls.push(`get:${id}`), id === 'm-1' ? hit : null),
      search: async () => (calls.push('search'), [hit]),
      keywordSearch: async () => (calls.push('keywordSearch'), []),
      list: async () => (calls.push('list'), [[hit], 1]),
      delete: async (id: string) => void calls.push(`delete:${id}`),
      insert: async () => void calls.push('insert'),
      update: async () => void calls.push('update'),
      deleteCol: async () => undefined,
      getUserId: async () => 'u',
      setUserId: async () => undefined,
    };
    db?.close();
    internals.vectorStore = recording;
    internals._entityStore = recording;
    // The entity store is created lazily, unless one is already in _entityStore.
    expect(await internals.getEntityStore()).toBe(recording);
    expect((await mem.get('m-1'))?.memory).toBe('remembered');
    const found = await mem.search('what was remembered?', { filters: { agent_id: 'contract' }, topK: 5 });
    expect(found.results.map((r) => r.id)).toContain('m-1');
    await mem.delete('m-1');
    expect(calls).toEqual(expect.arrayContaining(['get:m-1', 'search', 'delete:m-1']));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
