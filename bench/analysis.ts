import { TargetId } from './lib/options';

/**
 * What limits each target when it is missed, from reading its `node --cpu-prof` profile and the
 * code on the path. Shown in BENCHMARKS.md next to the profile of a missed target. Kept to what
 * was measured on this harness; update it when a change moves the numbers.
 */
export const ANALYSIS: Partial<Record<TargetId, string>> = {
  P1:
    'Fixed so far: the Confluent serdes derived cache keys from the schema text on every serialize ' +
    '(deterministic JSON stringify, inline-tag walks: ~¾ of a publish) — the codec now writes the wire ' +
    'format itself from cached avsc types and schema ids (0.25× → ~0.5× B1); JSON payload fields are ' +
    'rendered once per encode; the producer joins its queue synchronously once schema id and partition ' +
    'are cached; spans are non-recording unless exported. What is left with kafkajs is CPU on the one ' +
    'Node thread: kafkajs record encoding (varints, per-record header encoding, CRC32C in JavaScript) is ' +
    '~40% and is paid by B1 too, but B1 sends bare 1 KB values while every Phoenix event carries 4–5 ' +
    'headers (event id, type, source, traceparent) that kafkajs encodes record by record (~10%); the ' +
    'local schema check plus Avro encoding is ~14%, envelope and ids ~5%, GC ~15%. The optional ' +
    'librdkafka client (BUS_PRODUCER_CLIENT=confluent, P1-confluent in the table) moves record encoding ' +
    'to native code and runs the same publish() ~1.5× faster; it stays opt-in because it needs a ' +
    'native build at install.',
  P2:
    'Waiting, not CPU: the process is idle ~48% of the window. Each event crosses three Kafka hops ' +
    '(events → mcp.commands → mcp.results) against the baseline’s one, and at each an acks=all produce ' +
    'and a fetch (this table ran with BUS_LINGER_MS=0; with the default 2 ms linger P2 p99 was 101 ms, p50 ~21 ms). The router and the MCP worker defer their ' +
    'acknowledgements now (the next event of a partition runs while the broker acknowledges; ' +
    'see P8). That tripled the rate P2 runs at, half the pipeline’s measured maximum (52/s before, ' +
    '153/s in this run), with p50 ~11 ms at it. What remains per MCP command is serial: the ledger’s `started` entry is an awaited acks=all ' +
    'write before every tool call (at most once needs it before the call), then one stdio round trip. ' +
    'kafkajs also waits for every batch of a fetch before it fetches that broker again. A single hop ' +
    'cannot be met within 1.5× on three; next: write `started` for a partition’s consecutive commands ' +
    'in one request, and fetch per partition.',
  P3:
    'The sink commits one DuckDB transaction per chunk: rows staged with the appender, merged into ' +
    'RAW_EVENTS with ON CONFLICT on the event-id primary key, the offsets upserted in the same ' +
    'transaction, then the Kafka offsets committed. The main thread is idle ~46% of the window, waiting ' +
    'for DuckDB (which works on the other core) and for the next fetch: kafkajs fetches again only when ' +
    'every partition of the last fetch is done. Chunks of 2,000 events (MEMORY_WRITER_BATCH, the default ' +
    'since 2026-12-08; 500 before) took P3 from ~10k to ~15k rows/s on an AMD EPYC, one fsync and one Kafka commit per ' +
    '2,000 rows. Tried and not kept (within run-to-run noise of ±15%): appending straight into RAW_EVENTS ' +
    'and falling back to the merge on a duplicate key, and one statement for all partitions’ offsets. ' +
    'Next: overlap decoding of the next chunk with the current commit, and commit Kafka offsets behind the ' +
    'stored ones instead of per chunk.',
  P4:
    'Per record the replay decodes Avro (the JSON-typed payload is parsed), then stringifies the whole ' +
    'record for the JSONL line and hashes it: a JSON round trip B3 does not make; kafkajs decoding is ' +
    'the same for both. Parquet adds DuckDB reading the JSONL parts back and writing zstd Parquet. ' +
    'Cached writer types (no per-record registry lookups) took JSONL from ~0.3× to ~0.55× B3.',
  P7:
    'Met after one fix: the warehouse sink inserted each memory outbox entry with its own statement ' +
    '(~1 ms each), and while it did the applier could not read the outbox, because both share one ' +
    'DuckDB connection. The first memories waited seconds and every read queued behind a chunk. One ' +
    'staged INSERT per chunk took P7 from 0.69× to 0.92×. What remains is startup (group join, first ' +
    'chunk) and the sink’s CPU beside the model on two cores.',
  P8:
    'CPU on the one Node thread: GC ~22%, kafkajs record encoding and decoding (buffer allocation ' +
    'and copies, CRC32C in JavaScript) ~18% plus node buffer internals ~20%. B8 forwards each record’s ' +
    'bytes as they are, one send per fetched batch. The router decodes the Avro event, builds a new ' +
    'envelope (new id, causation, hop header), encodes it, and kafkajs encodes its 5–6 headers record by ' +
    'record. Deferral (publishes no longer awaited one by one) took P8 from 854 to ~9,000 events/s. ' +
    'Next: the librdkafka producer (BUS_PRODUCER_CLIENT=confluent, ~1.5× on P1) for the routed ' +
    'events, and fewer headers per record.',
  P9:
    'The same path as P2, under closed-loop load: ~48% idle, waiting on round trips. Per MCP command the ' +
    'ledger’s `started` write (awaited, acks=all) and the stdio tools/call run one at a time per ' +
    'partition, four partitions at once. The raw hops have neither, nor HTTP or Avro. The router and ' +
    'worker deferrals took it from 104 (the table before) to ~410 events/s. Next: batch the `started` ' +
    'entries of consecutive commands, and run calls for different keys of one partition at once.',
  P6:
    'Mem0’s own SQLite vector store re-read, re-parsed and re-tokenized every stored memory on every ' +
    'search (~120 µs per memory: ~12 s at 100k). Phoenix’s EmbeddedVectorStore keeps unit vectors in ' +
    'WebAssembly memory scored by a SIMD kernel, payloads parsed once, and BM25 on an inverted index (same ' +
    'rankings as Mem0’s store), and the embedder remembers the entity names Mem0 embeds for every query. ' +
    'At 100k what is left is the exact scan (~20–25 ms: 150 MB of float32 read per query, memory-bandwidth ' +
    'bound at ~6 GB/s on this VM), the query embedding (ONNX, ~10–15 ms) and Mem0’s entity extraction ' +
    '(compromise NLP, ~5 ms). Further: int8 vectors with a float rerank (¼ of the bytes) or an ' +
    'approximate index, or a networked store (Qdrant, pgvector) via store.vectorStore.',
};
