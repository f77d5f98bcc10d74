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
    'Waiting, not CPU: in the profile the process is idle ~40% of the window and most of the rest is ' +
    'kafkajs networking. The path has three Kafka hops (events → mcp.commands → mcp.results) against the ' +
    'baseline’s one; per hop an acks=all produce (plus the BUS_LINGER_MS=2 linger), a fetch, the ' +
    'handler’s awaited publish, and an offset commit before kafkajs fetches that partition again, plus ' +
    'HTTP in front and one MCP tools/call over stdio. The same round trips cap the pipeline’s closed-loop ' +
    'rate (tens of events/s per partition). Ratio against a single hop cannot reach 1.5×; shortening it ' +
    'means committing offsets asynchronously and pipelining handler publishes per partition.',
  P3:
    'The sink commits one DuckDB transaction per chunk: rows staged with the appender, merged into ' +
    'RAW_EVENTS with ON CONFLICT on the event-id primary key, the offsets upserted in the same ' +
    'transaction. Timed per 500-row chunk: ~12 ms merge (≈24 µs per row of ART-index probing), ~7 ms ' +
    'offset upsert, ~12 ms commit (WAL fsync), ~11 ms appending; the main thread is idle ~45% of the ' +
    'window waiting for DuckDB. B4 appends the same rows once, with no key check and one commit. ' +
    'Group commit (concurrent partition flushes share a transaction) and MEMORY_WRITER_BATCH=2000 ' +
    '(+25–40%) help; the per-row merge cost is what exactly-once on event ids costs in DuckDB.',
  P4:
    'Per record the replay decodes Avro (the JSON-typed payload is parsed), then stringifies the whole ' +
    'record for the JSONL line and hashes it: a JSON round trip B3 does not make; kafkajs decoding is ' +
    'the same for both. Parquet adds DuckDB reading the JSONL parts back and writing zstd Parquet. ' +
    'Cached writer types (no per-record registry lookups) took JSONL from ~0.3× to ~0.55× B3.',
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
