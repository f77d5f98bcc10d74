import { JsonValue } from '@phoenix/contracts';
import { Predicate } from '@phoenix/routing';

export interface ReplaySelection {
  /** Catalogue topics or globs (main topics only). */
  topics: string[];
  partitions?: number[];
  /** Start: epoch ms (first offset at or after it) or explicit offsets "topic:partition" → offset. Default: the beginning. */
  fromTime?: number;
  fromOffsets?: Record<string, string>;
  /** End (exclusive): epoch ms or explicit offsets. Default: the end of each partition when the replay starts. */
  toTime?: number;
  toOffsets?: Record<string, string>;
  types?: string[];
  sources?: string[];
  where?: Predicate[];
}

export type ReplayOutput =
  | { kind: 'jsonl'; path: string }
  | { kind: 'parquet'; path: string }
  /** Re-publish: to `retrain.<name>`, or back onto the original topics ("live"), always with the replay marker. */
  | { kind: 'topic'; target: string };

/** A partition's slice of the replay. */
export interface PartitionRange {
  topic: string;
  partition: number;
  start: string;
  end: string;
}

/** One replayed record as written to JSONL (and, flattened, to Parquet). */
export interface ReplayRecord {
  topic: string;
  partition: number;
  offset: string;
  event: JsonValue;
}

export interface ReplaySummary {
  replayId: string;
  records: number;
  scanned: number;
  byTopic: Record<string, number>;
  byType: Record<string, number>;
  firstOccurredAt: string | null;
  lastOccurredAt: string | null;
  output: string;
  /** sha256 of the records' canonical JSONL lines, in order: equal outputs, equal checksums. */
  checksum: string;
  resumed: boolean;
  seconds: number;
  /** Records skipped because they could not be decoded (only with skipUndecodable). */
  skipped: number;
  /** Where the skipped positions are listed, when there are any. */
  skippedFile?: string;
}
