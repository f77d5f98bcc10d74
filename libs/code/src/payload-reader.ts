import { JsonObject, JsonValue } from '@phoenix/contracts';
import { CodeWebhookError, CodeWebhookErrorCode } from './code-webhook.exception';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Typed reads of a provider's JSON payload by dotted path. Optional fields come back null;
 * `required` fields that are missing or of another type make the delivery unreadable (400),
 * so a normalizer never builds an event from half a payload.
 */
export class PayloadReader {
  constructor(readonly body: JsonObject) {}

  static of(body: unknown): PayloadReader {
    if (!isObject(body)) throw new CodeWebhookError(CodeWebhookErrorCode.Unreadable, 'the payload is not a JSON object');
    return new PayloadReader(body);
  }

  value(path: string): JsonValue | undefined {
    let v: JsonValue | undefined = this.body;
    for (const part of path.split('.')) v = isObject(v) ? v[part] : undefined;
    return v;
  }

  str(path: string): string | null {
    const v = this.value(path);
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
  }

  num(path: string): number | null {
    const v = this.value(path);
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  }

  bool(path: string): boolean {
    return this.value(path) === true;
  }

  list(path: string): PayloadReader[] {
    const v = this.value(path);
    return Array.isArray(v) ? v.filter(isObject).map((o) => new PayloadReader(o)) : [];
  }

  strings(path: string): string[] {
    const v = this.value(path);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  at(path: string): PayloadReader | null {
    const v = this.value(path);
    return isObject(v) ? new PayloadReader(v) : null;
  }

  required(path: string): string {
    const v = this.str(path);
    if (v === null || v === '') throw new CodeWebhookError(CodeWebhookErrorCode.Unreadable, `the payload has no ${path}`);
    return v;
  }

  requiredNum(path: string): number {
    const v = this.num(path);
    if (v === null) throw new CodeWebhookError(CodeWebhookErrorCode.Unreadable, `the payload has no numeric ${path}`);
    return v;
  }
}

/**
 * Epoch ms of a provider timestamp: ISO-8601 (GitHub, GitLab's newer payloads), GitLab's
 * `2016-08-12 15:23:28 UTC`, or epoch seconds (GitHub's `pushed_at`).
 */
export function epochMs(v: string | number | null): number | null {
  if (v === null) return null;
  if (typeof v === 'number') return v < 1e12 ? v * 1000 : v;
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}( UTC)?$/.test(v) ? `${v.replace(' UTC', '').replace(' ', 'T')}Z` : v.replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{2})(\d{2})$/, '$1T$2$3:$4');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}
