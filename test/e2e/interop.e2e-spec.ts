import { execFile, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { INestApplication } from '@nestjs/common';
import { createGatewayApp } from '@phoenix/gateway';
import { AppContext } from '@phoenix/runtime';
import { phoenix, ROOT } from '../support/cli';
import { testContext } from '../support/context';
import { readUntil } from '../support/topics';
import { venvBin } from '../setup/test-tools';

/**
 * An event published by Phoenix is read back by clients Phoenix does not control:
 * Confluent's Python client (librdkafka + fastavro) decoding through the registry's
 * Confluent-compatible API, and Debian's kcat for the raw wire format.
 */
describe('interop with independent clients', () => {
  const brokers = process.env.KAFKA_BROKERS!;
  const registry = process.env.SCHEMA_REGISTRY_URL!;
  let receipt: { id: string; topic: string; partition: number; offset: string };

  beforeAll(() => {
    const r = phoenix(['publish', '-t', 'cdc.zendesk.tickets', '--type', 'ticket.updated', '-k', 'ticket-9', '-p',
      JSON.stringify({ system: 'zendesk', schema: 'support', table: 'tickets', primaryKey: { id: 9 }, op: 'update', before: { status: 'open' }, after: { status: 'solved' }, changedFields: ['status'], position: { lsn: '0/16B3748', txId: '771', uuid: null }, sourceTs: 1795600000000, snapshot: false })]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    receipt = JSON.parse(r.stdout.trim());
  });

  it('confluent-kafka (Python) + fastavro decode the event through the registry', () => {
    const r = spawnSync(venvBin('python'), [path.join(ROOT, 'test', 'interop', 'read_avro.py'), '--brokers', brokers, '--registry', registry, '--topic', receipt.topic, '--partition', String(receipt.partition), '--offset', receipt.offset], { encoding: 'utf8', timeout: 60000 });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n')[0]);
    expect(out.magic).toBe(0);
    expect(out.schemaId).toBeGreaterThan(0);
    expect(out.event.id).toBe(receipt.id);
    expect(out.event.type).toBe('ticket.updated');
    expect(out.event.key).toBe('ticket-9');
    expect(out.event.payload.op).toBe('update');
    expect(out.event.payload.table).toBe('tickets');
    // Free-form parts travel as JSON text, readable by any Avro client.
    expect(JSON.parse(out.event.payload.after)).toEqual({ status: 'solved' });
    expect(out.event.payload.position).toEqual({ lsn: '0/16B3748', txId: '771', uuid: null, binlog: null });
  });

  it('kcat sees the Confluent wire format: magic byte 0 and the registered schema id', async () => {
    const r = spawnSync('kcat', ['-C', '-b', brokers, '-t', receipt.topic, '-p', String(receipt.partition), '-o', receipt.offset, '-c', '1', '-e', '-q', '-f', '%k\\n%s'], { timeout: 60000 });
    expect(r.status).toBe(0);
    const out = r.stdout as Buffer;
    const nl = out.indexOf(0x0a);
    expect(out.subarray(0, nl).toString()).toBe('ticket-9');
    const value = out.subarray(nl + 1);
    expect(value[0]).toBe(0);
    const schemaId = value.readUInt32BE(1);
    const res = await fetch(`${registry}/schemas/ids/${schemaId}`);
    expect(res.status).toBe(200);
    const schema = JSON.parse(((await res.json()) as { schema: string }).schema);
    expect(schema.name).toBe('CdcEvent');
  });
});

/**
 * Phoenix's /mcp driven by the Python `mcp` SDK (PyPI), on both revisions it speaks: 2026-07-28
 * (server/discover, then stateless requests) and the 2025-11-25 initialize handshake.
 */
describe('MCP interop: the Python mcp SDK drives /mcp', () => {
  const KEY = 'interop-mcp-key-0123456789';
  let ctx: AppContext;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ctx = testContext('mcp-interop', { PHOENIX_API_KEYS: `${KEY}=events.*` });
    app = await createGatewayApp(ctx, { ownsContext: true });
    await app.listen(0, '127.0.0.1');
    url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/mcp`;
  });

  afterAll(async () => {
    await app?.close();
  });

  it.each([
    ['2026-07-28', '2026-07-28'],
    ['legacy', '2025-11-25'],
  ])('mode %s negotiates %s, lists the tools, publishes, and gets a tool error for a bad topic', async (mode, revision) => {
    const publishKey = `py-${mode}-${Date.now()}`;
    // Async: the gateway answering it runs in this process.
    const { stdout } = await promisify(execFile)(venvBin('python'), [path.join(ROOT, 'test', 'interop', 'mcp_client.py'), '--url', url, '--token', KEY, '--mode', mode, '--publish-key', publishKey], { timeout: 60000 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { protocolVersion: string; tools: string[]; published: { isError: boolean; structured: { id: string; partition: number; offset: string } }; invalid: { isError: boolean; text: string } };
    expect(out.protocolVersion).toBe(revision);
    expect(out.tools).toEqual(expect.arrayContaining(['publish_event', 'start_task', 'get_task', 'list_capabilities', 'list_topics', 'record_chat']));
    expect(out.published.isError).toBe(false);
    expect(out.invalid).toEqual({ isError: true, text: expect.stringContaining('unknown topic') });
    const receipt = out.published.structured;
    const read = await readUntil('events.agent', (ms) => ms.some((m) => m.partition === receipt.partition && m.message.offset === receipt.offset));
    const stored = read.find((m) => m.partition === receipt.partition && m.message.offset === receipt.offset)!;
    expect(await ctx.bus.codec.decode('events.agent', stored.message.value)).toMatchObject({ id: receipt.id, type: 'py.note', key: publishKey, payload: { text: `from python mcp on ${mode}` } });
  });
});
