import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Checkpoint } from './replay-checkpoint';
import { partKey } from './replay-plan';
import { ReplayOutput } from './replay.types';

/** A partition's part file in the work dir: its replayed records as JSON lines, in offset order. */
export const partFile = (workDir: string, topic: string, partition: number) => path.join(workDir, `${topic}-${partition}.jsonl`);

/**
 * Concatenates the part files in topic/partition order into the output, hashing them on the way
 * (part files hold the records of every output kind — for topic outputs what was published — so
 * the checksum is the same function of the selection whatever the output), then writes Parquet
 * when asked.
 */
export async function writeOutput(cp: Checkpoint, workDir: string, output: ReplayOutput): Promise<{ output: string; checksum: string; records: number }> {
  const hash = createHash('sha256');
  let records = 0;
  const jsonl = output.kind === 'jsonl' ? output.path : path.join(workDir, 'all.jsonl');
  fs.mkdirSync(path.dirname(jsonl), { recursive: true });
  const tmp = `${jsonl}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  for (const r of [...cp.ranges].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)) {
    const f = partFile(workDir, r.topic, r.partition);
    if (!fs.existsSync(f)) continue;
    const data = fs.readFileSync(f);
    hash.update(data);
    fs.writeSync(fd, data);
    records += cp.parts[partKey(r.topic, r.partition)].records;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, jsonl);
  if (output.kind === 'parquet') await toParquet(jsonl, output.path);
  if (output.kind === 'topic') return { output: output.target === 'live' ? 'original topics (replay marker set)' : output.target, checksum: hash.digest('hex'), records };
  return { output: output.path, checksum: hash.digest('hex'), records };
}

/** JSONL records → Parquet (zstd): the envelope's fields as columns, the payload as JSON text. */
async function toParquet(jsonl: string, out: string): Promise<void> {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  try {
    await c.run(`COPY (
      SELECT topic, "partition", "offset"::BIGINT AS "offset",
             event->>'id' AS event_id, event->>'type' AS type, event->>'source' AS source, event->>'key' AS key,
             epoch_ms((event->>'occurredAt')::BIGINT) AS occurred_at, epoch_ms((event->>'ingestedAt')::BIGINT) AS ingested_at,
             event->>'correlationId' AS correlation_id, event->>'causationId' AS causation_id,
             (event->'payload')::VARCHAR AS payload
      FROM read_json(${q(jsonl)}, format = 'newline_delimited', columns = {'topic': 'VARCHAR', 'partition': 'INTEGER', 'offset': 'VARCHAR', 'event': 'JSON'})
    ) TO ${q(`${out}.tmp`)} (FORMAT parquet, COMPRESSION zstd)`);
  } finally {
    c.closeSync();
    db.closeSync();
  }
  fs.renameSync(`${out}.tmp`, out);
}

/** The skipped positions, one JSON line each, at `<base>.skipped.jsonl`. */
export function writeSkipped(base: string, skipped: { topic: string; partition: number; offset: string; error: string }[]): string {
  const file = `${base}.skipped.jsonl`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, skipped.map((x) => JSON.stringify(x)).join('\n') + '\n');
  return file;
}
