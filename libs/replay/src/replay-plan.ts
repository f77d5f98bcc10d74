import { PartitionRange, ReplaySelection } from './replay.types';

/** A partition's offsets as the broker reports them, plus the offsets at the selection's times. */
export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
  /** First offset at or after `selection.fromTime` (when it is set). */
  atFromTime?: string;
  /** First offset at or after `selection.toTime` (when it is set). */
  atToTime?: string;
}

export const partKey = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * The replay's ranges: for each selected partition, in topic then partition order, from the
 * selection's start (explicit offset, else the offset at `fromTime`, else the log start) to its
 * end (likewise, else the log end), both clamped into what the log holds, never ending before
 * they start. Pure: the offsets come from the broker through the caller.
 */
export function planRanges(selection: ReplaySelection, offsets: Map<string, PartitionOffsets[]>): PartitionRange[] {
  const ranges: PartitionRange[] = [];
  for (const topic of [...offsets.keys()].sort()) {
    for (const o of [...offsets.get(topic)!].sort((a, b) => a.partition - b.partition)) {
      if (selection.partitions && !selection.partitions.includes(o.partition)) continue;
      const k = partKey(topic, o.partition);
      const clamp = (v: string | undefined, d: string) => {
        const n = BigInt(v ?? d);
        return (n < BigInt(o.low) ? BigInt(o.low) : n > BigInt(o.high) ? BigInt(o.high) : n).toString();
      };
      const start = clamp(selection.fromOffsets?.[k] ?? o.atFromTime, o.low);
      const end = clamp(selection.toOffsets?.[k] ?? o.atToTime, o.high);
      ranges.push({ topic, partition: o.partition, start, end: BigInt(end) < BigInt(start) ? start : end });
    }
  }
  return ranges;
}
