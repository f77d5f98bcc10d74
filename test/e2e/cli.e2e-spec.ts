import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HEADERS } from '@phoenix/bus';
import { createEnvelope } from '@phoenix/contracts';
import { REDRIVE_HEADER } from '@phoenix/console';
import { phoenix, phoenixAsync, ROOT } from '../support/cli';
import { testContext } from '../support/context';
import { endOffsets, readUntil } from '../support/topics';

describe('phoenix CLI', () => {
  it('publish from NDJSON on stdin, then tail shows the events decoded', async () => {
    const marker = `cli-${Date.now()}`;
    const lines = [1, 2, 3].map((i) => JSON.stringify({ topic: 'events.agent', type: 'agent.note', key: marker, payload: { marker, i } }));
    const pub = phoenix(['publish', '--file', '-'], { input: lines.join('\n') + '\n' });
    expect(pub.status).toBe(0);
    const receipts = pub.stdout.trim().split('\n').map((l) => JSON.parse(l) as { partition: number; offset: string });
    expect(receipts).toHaveLength(3);
    expect(new Set(receipts.map((r) => r.partition)).size).toBe(1); // same key → same partition

    const tail = await phoenixAsync(['tail', 'events.agent', '--from-beginning', '--json', '--timeout', '5000', '--limit', '100000']);
    const seen = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event?: { payload?: { marker?: string; i?: number } } })
      .filter((r) => r.event?.payload?.marker === marker)
      .map((r) => r.event!.payload!.i);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('dlq list, show and redrive: a dead letter goes back to the topic it failed on, marked, once', async () => {
    const ctx = testContext('cli-dlq-test');
    try {
      // A dead letter as a consumer leaves it: the original bytes, with the reason headers.
      const event = createEnvelope({ type: 'agent.note', source: 'cli-test', key: `dlq-${Date.now()}`, payload: { n: 1 } });
      const receipt = await ctx.bus.producer.publish('events.agent.dlq', event, {
        headers: { [HEADERS.originalTopic]: 'events.agent', [HEADERS.originalPartition]: '3', [HEADERS.originalOffset]: '17', [HEADERS.errorCode]: 'HANDLER_FAILED', [HEADERS.errorMessage]: 'tool said no', [HEADERS.errorKind]: 'permanent', [HEADERS.attempt]: '3' },
      });
      const pos = `${receipt.partition}/${receipt.offset}`;
      const fromMain = await endOffsets('events.agent');

      const list = phoenix(['dlq', 'list', '--json']);
      expect(list.status).toBe(0);
      expect((JSON.parse(list.stdout) as { topics: { topic: string; held: number }[] }).topics.find((t) => t.topic === 'events.agent.dlq')!.held).toBeGreaterThanOrEqual(1);

      const shown = phoenix(['dlq', 'show', 'events.agent.dlq', '--json']);
      expect(shown.status).toBe(0);
      const letter = (JSON.parse(shown.stdout) as { deadLetters: { partition: number; offset: string; errorCode: string; errorMessage: string; originalPosition: string; attempts: number; event: { id: string }; redriven: unknown }[] }).deadLetters.find((d) => d.event?.id === event.id)!;
      expect(letter).toMatchObject({ errorCode: 'HANDLER_FAILED', errorMessage: 'tool said no', originalPosition: 'events.agent/3/17', attempts: 3, redriven: null });
      expect(phoenix(['dlq', 'show', 'events.agent.dlq']).stdout).toMatch(new RegExp(`${pos}.*agent.note ${event.id}.*permanent HANDLER_FAILED: tool said no.*events.agent/3/17.*no`));

      const redrive = phoenix(['dlq', 'redrive', 'events.agent.dlq', pos]);
      expect(redrive.status).toBe(0);
      expect(redrive.stderr).toMatch(new RegExp(`\\[1/1\\] events.agent.dlq/${pos} → events.agent \\d+/\\d+`));
      const copies = await readUntil('events.agent', (ms) => ms.some((m) => m.message.headers?.[REDRIVE_HEADER]?.toString() === `events.agent.dlq/${pos}`), { from: fromMain });
      const copy = copies.find((m) => m.message.headers?.[REDRIVE_HEADER]?.toString() === `events.agent.dlq/${pos}`)!;
      // The copy carries the event and none of the failure headers: it starts again at attempt 1.
      expect(copy.message.headers?.[HEADERS.eventId]?.toString()).toBe(event.id);
      expect(copy.message.headers?.[HEADERS.errorCode]).toBeUndefined();

      // Marked: show says where it went, and a second redrive refuses.
      const after = JSON.parse(phoenix(['dlq', 'show', 'events.agent.dlq', '--json']).stdout) as { deadLetters: { event: { id: string }; redriven: { topic: string } | null }[] };
      expect(after.deadLetters.find((d) => d.event?.id === event.id)!.redriven).toMatchObject({ topic: 'events.agent' });
      const again = phoenix(['dlq', 'redrive', 'events.agent.dlq', pos]);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain('already redriven to events.agent');

      // Clear errors.
      expect(phoenix(['dlq', 'redrive', 'events.agent.dlq', 'x']).stderr).toContain('"x" is not a position: expected <partition>/<offset>');
      expect(phoenix(['dlq', 'redrive', 'events.agent.dlq']).stderr).toContain('or pass --all');
      expect(phoenix(['dlq', 'show', 'events.agent']).stderr).toContain('unknown DLQ topic "events.agent"');
    } finally {
      await ctx.close();
    }
  });

  it('publish reports every invalid line and exits non-zero', () => {
    const input = [
      JSON.stringify({ topic: 'events.agent', type: 'ok.one', payload: { a: 1 } }),
      '{not json',
      JSON.stringify({ topic: 'cdc.hubspot.deals', type: 'deal.updated', payload: { op: 'bogus' } }),
    ].join('\n');
    const r = phoenix(['publish', '--file', '-'], { input });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('line 2 is not valid JSON');
    const r2 = phoenix(['publish', '--file', '-'], { input: input.split('\n').filter((l) => !l.startsWith('{not')).join('\n') });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/line 2: event does not match the schema of cdc\.hubspot\.deals[\s\S]*\/payload\/op/);
    expect(r2.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('clear errors: unknown topic, missing flags, unknown command', () => {
    const unknown = phoenix(['publish', '-t', 'events.nope', '--type', 'a.b', '-p', '{}']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('unknown topic "events.nope"');
    const missing = phoenix(['publish', '-t', 'events.app']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('give --topic, --type and --payload');
    expect(phoenix(['frobnicate']).status).not.toBe(0);
  });

  it('topics apply is idempotent and topics list shows the catalogue topics', () => {
    const again = phoenix(['topics', 'apply']);
    expect(again.status).toBe(0);
    const rows = again.stdout.trim().split('\n').slice(1);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => /\bunchanged\b/.test(r))).toBe(true);
    const list = phoenix(['topics', 'list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^events\.app\s+6\s+\d+\s+generic$/m);
  });

  it('stack status reports both services ready', () => {
    const r = phoenix(['stack', 'status']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^kafka\s+\d+\s+yes\s+yes/m);
    expect(r.stdout).toMatch(/^registry\s+\d+\s+yes\s+yes/m);
  });

  describe('schemas check', () => {
    const copySchemas = () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-schemas-'));
      fs.cpSync(path.join(ROOT, 'schemas'), dir, { recursive: true });
      return dir;
    };

    it('passes for the schemas in the tree (against git history and the registry)', () => {
      const r = phoenix(['schemas', 'check']);
      expect(r.stderr).toContain('BACKWARD compatible');
      expect(r.status).toBe(0);
    });

    it('fails when a change is not BACKWARD compatible (a new field without a default)', () => {
      const dir = copySchemas();
      const file = path.join(dir, 'payloads', 'cdc-change.avsc');
      const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
      schema.fields.push({ name: 'tenant', type: 'string' });
      fs.writeFileSync(file, JSON.stringify(schema));
      const r = phoenix(['schemas', 'check', '--schemas-dir', dir, '--against', path.join(ROOT, 'schemas'), '--no-git']);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/cdc\s+.*INCOMPATIBLE/);
      expect(r.stdout).toMatch(/registry cdc\.hubspot\.deals-value\s+INCOMPATIBLE/);
      expect(r.stderr).toContain('incompatible schema change');
    });

    it('accepts a compatible change (a new optional field with a default)', () => {
      const dir = copySchemas();
      const file = path.join(dir, 'payloads', 'cdc-change.avsc');
      const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
      schema.fields.push({ name: 'tenant', type: ['null', 'string'], default: null });
      fs.writeFileSync(file, JSON.stringify(schema));
      const r = phoenix(['schemas', 'check', '--schemas-dir', dir, '--against', path.join(ROOT, 'schemas'), '--no-git']);
      expect(r.status).toBe(0);
    });

    it('generated TypeScript types match schemas/', () => {
      const r = phoenix(['schemas', 'types', '--check']);
      expect(r.status).toBe(0);
    });
  });
});
