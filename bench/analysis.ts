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
    'are cached; spans are non-recording unless exported. What is left is CPU on the one Node thread: ' +
    'kafkajs record encoding (varints, per-record header encoding, CRC32C in JavaScript) is ~40% and is ' +
    'paid by B1 too, but B1 sends bare 1 KB values while every Phoenix event carries 4–5 headers ' +
    '(event id, type, source, traceparent) that kafkajs encodes record by record (~10%); the local ' +
    'schema check plus Avro encoding is ~14%, envelope and ids ~5%, GC ~15%. Closing the gap needs a ' +
    'producer that encodes batches natively: @confluentinc/kafka-javascript (librdkafka) was evaluated ' +
    '— see BENCHMARKS.md notes.',
  P2:
    'Three Kafka hops (events → mcp.commands → mcp.results) against the baseline’s one, each with ' +
    'an acks=all produce, a consumer fetch, Avro decode/encode and the idempotency ledger write, plus ' +
    'HTTP in front and one MCP tools/call over stdio. At this open-loop rate the latency is waiting, ' +
    'not CPU: the producer linger (BUS_LINGER_MS=2) and the fetch round trip are paid per hop, so the ' +
    'ratio against a single hop cannot reach 1.5×; the absolute p99 is the figure to watch.',
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
    'search (~120 µs per memory: ~12 s at 100k); Phoenix’s EmbeddedVectorStore keeps unit vectors in ' +
    'one Float32Array, payloads parsed, and BM25 on an inverted index (same rankings). What is left at ' +
    '100k: the exact cosine scan (~40% of a search, 38M multiply-adds in JavaScript) and embedding the ' +
    'query plus the entities Mem0 extracts from it for its entity boost (~40%). Under 50 ms at 100k ' +
    'needs an approximate index (IVF or HNSW, or a networked store such as Qdrant via ' +
    'store.vectorStore) on top of this.',
};
