import { IHeaders } from 'kafkajs';
import { EventProducer, HEADERS } from '@phoenix/bus';
import { z } from 'zod';
import { Envelope } from '@phoenix/contracts';

/** At most this many dead letters per redrive request. */
export const MAX_REDRIVE = 500;

/** A redrive request: some positions of one DLQ topic, or every held one not yet redriven. */
export const redriveRequestSchema = z.union([
  z.object({ positions: z.array(z.object({ partition: z.number().int().min(0), offset: z.string().regex(/^\d+$/) }).strict()).min(1).max(MAX_REDRIVE) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);

/** Set on a redriven copy: the DLQ position it came from (`<dlq topic>/<partition>/<offset>`). */
export const REDRIVE_HEADER = 'phoenix-redrive-of';

/** Headers of a failure that a redriven copy must not carry (it starts again at attempt 1). */
const FAILURE_HEADERS: string[] = [HEADERS.attempt, HEADERS.retryAt, HEADERS.originalTopic, HEADERS.originalPartition, HEADERS.originalOffset, HEADERS.consumerGroup, HEADERS.errorCode, HEADERS.errorMessage, HEADERS.errorKind, HEADERS.failedAt];

/** Where a redriven copy landed, as seen on the bus. */
export interface Redrive {
  topic: string;
  partition: number;
  offset: string;
  eventId: string | null;
  at: number;
}

/** One dead letter: the original bytes, why it failed, and whether it was redriven. */
export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  timestamp: number;
  key: string | null;
  headers: Record<string, string>;
  /** Where it was first read from, and why it was given up (from the reason headers). */
  originalTopic: string | null;
  originalPosition: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  errorKind: string | null;
  attempts: number | null;
  /** The envelope when the bytes decode (a decode failure's bytes do not). */
  event: Envelope<unknown> | null;
  /** The first bytes as text when they do not decode. */
  rawPreview: string | null;
  redriven: Redrive | null;
}

interface Held extends DeadLetter {
  value: Buffer | null;
  rawKey: Buffer | null;
  rawHeaders: IHeaders;
}

export const positionOf = (topic: string, partition: number, offset: string) => `${topic}/${partition}/${offset}`;

/**
 * The dead letters the console's feed has read (per DLQ topic, the newest `perTopic` kept), and
 * the redriven copies it has seen on the main topics. Redrives are marked on the bus itself (the
 * copy's {@link REDRIVE_HEADER}), so every gateway replica, and a restarted one within its
 * look-back, shows the same marks.
 */
export class DeadLetterStore {
  private readonly held = new Map<string, Map<string, Held>>();
  private readonly redrives = new Map<string, Redrive>();

  constructor(private readonly perTopic = 1000) {}

  add(topic: string, partition: number, message: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers?: IHeaders }, event: Envelope<unknown> | null): void {
    let byPos = this.held.get(topic);
    if (!byPos) this.held.set(topic, (byPos = new Map()));
    const headers = textHeaders(message.headers);
    const position = positionOf(topic, partition, message.offset);
    const origin = headers[HEADERS.originalTopic];
    byPos.set(position, {
      topic,
      partition,
      offset: message.offset,
      timestamp: Number(message.timestamp),
      key: message.key?.toString() ?? null,
      headers,
      originalTopic: origin ?? null,
      originalPosition: origin ? `${origin}/${headers[HEADERS.originalPartition] ?? '?'}/${headers[HEADERS.originalOffset] ?? '?'}` : null,
      errorCode: headers[HEADERS.errorCode] ?? null,
      errorMessage: headers[HEADERS.errorMessage] ?? null,
      errorKind: headers[HEADERS.errorKind] ?? null,
      attempts: headers[HEADERS.attempt] ? Number(headers[HEADERS.attempt]) : null,
      event,
      rawPreview: event ? null : printable(message.value),
      redriven: null,
      value: message.value,
      rawKey: message.key,
      rawHeaders: message.headers ?? {},
    });
    if (byPos.size > this.perTopic) byPos.delete(byPos.keys().next().value as string);
  }

  /** A message on a main topic: if it is a redriven copy, its DLQ entry is marked. */
  noteRedrive(headers: Record<string, string>, where: Redrive): void {
    const of = headers[REDRIVE_HEADER];
    if (of && !this.redrives.has(of)) this.redrives.set(of, where);
  }

  topics(): { topic: string; held: number; redriven: number }[] {
    return [...this.held].map(([topic, m]) => ({ topic, held: m.size, redriven: [...m.keys()].filter((p) => this.redrives.has(p)).length }));
  }

  /** The held dead letters of a topic, newest first. */
  list(topic: string): DeadLetter[] {
    return [...(this.held.get(topic)?.values() ?? [])].reverse().map((h) => this.view(h));
  }

  get(topic: string, partition: number, offset: string): DeadLetter | undefined {
    const h = this.held.get(topic)?.get(positionOf(topic, partition, offset));
    return h && this.view(h);
  }

  /**
   * Publishes a dead letter's original bytes back to the topic it failed on, without its failure
   * headers and marked with where it came from. The consumer there handles it like a new event
   * (effects are idempotent by event id, so a partly handled one is not done twice).
   */
  async redrive(producer: EventProducer, topic: string, partition: number, offset: string): Promise<{ position: string; to: string; partition: number; offset: string } | { position: string; error: string }> {
    const position = positionOf(topic, partition, offset);
    const h = this.held.get(topic)?.get(position);
    if (!h) return { position, error: 'no dead letter is held at this position' };
    if (!h.value) return { position, error: 'a tombstone has nothing to redrive' };
    const to = h.originalTopic?.replace(/\.retry$/, '') ?? topic.replace(/\.dlq$/, '');
    const headers: Record<string, string | Buffer> = {};
    for (const [k, v] of Object.entries(h.rawHeaders)) {
      if (v === undefined || FAILURE_HEADERS.includes(k) || k === REDRIVE_HEADER) continue;
      headers[k] = Array.isArray(v) ? v[0] : v;
    }
    headers[REDRIVE_HEADER] = position;
    const receipt = await producer.publishRaw(to, { key: h.rawKey, value: h.value, headers });
    return { position, to, partition: receipt.partition, offset: receipt.offset };
  }

  private view(h: Held): DeadLetter {
    const { value: _v, rawKey: _k, rawHeaders: _h, ...rest } = h;
    return { ...rest, redriven: this.redrives.get(positionOf(h.topic, h.partition, h.offset)) ?? null };
  }
}

export function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  return out;
}

function printable(value: Buffer | null): string | null {
  if (!value) return null;
  const text = value.subarray(0, 300).toString('utf8');
  return /^[\x20-\x7e\s]*$/.test(text) ? text : `base64:${value.subarray(0, 300).toString('base64')}`;
}
