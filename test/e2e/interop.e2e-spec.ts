import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { phoenix, ROOT } from '../support/cli';
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
    expect(out.event.payload.position).toEqual({ lsn: '0/16B3748', txId: '771', uuid: null });
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
