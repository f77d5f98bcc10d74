import { Type, types } from 'avsc';

/**
 * `{"type": "string", "logicalType": "phoenix-json"}`: a JSON document carried as text, so
 * free-form parts of an event (CDC rows, tool arguments) stay readable by any Avro client
 * while Phoenix code sees parsed values.
 */
export class JsonLogicalType extends types.LogicalType {
  protected override _fromValue(val: string): unknown {
    return JSON.parse(val);
  }

  protected override _toValue(value: unknown): string | undefined {
    // null is left to a ["null", …] union branch: a nullable JSON field would be ambiguous otherwise.
    if (value === undefined || value === null || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return undefined;
    if (jsonSession && typeof value === 'object') {
      let text = jsonSession.get(value);
      if (text === undefined) {
        text = JSON.stringify(value);
        jsonSession.set(value, text);
      }
      return text;
    }
    return JSON.stringify(value);
  }

  protected override _resolve(type: Type): ((v: string) => unknown) | undefined {
    if (Type.isType(type, 'string', 'logical:phoenix-json')) return (v: string) => this._fromValue(v);
    return undefined;
  }
}

/**
 * A JSON field kept as the text it was written as (see {@link rawJsonTypeOptions}): an export
 * writes it into its output as is instead of parsing it and rendering it again.
 */
export class RawJson {
  constructor(readonly text: string) {}

  /** Inside {@link stringifyWithRawJson}, a placeholder the raw text replaces afterwards. */
  toJSON(): unknown {
    if (!rawCollector) return JSON.parse(this.text);
    rawCollector.push(this.text);
    return `${RAW_TOKEN}${rawCollector.length - 1}@@`;
  }
}

/** Decodes JSON fields as {@link RawJson} instead of parsed values. */
class RawJsonLogicalType extends JsonLogicalType {
  protected override _fromValue(val: string): unknown {
    return new RawJson(val);
  }

  protected override _resolve(type: Type): ((v: string) => unknown) | undefined {
    if (Type.isType(type, 'string', 'logical:phoenix-json')) return (v: string) => new RawJson(v);
    return undefined;
  }
}

let rawCollector: string[] | null = null;
/** Per process, random: user text cannot forge a placeholder. */
const RAW_TOKEN = `@@phoenix-raw-json-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}-`;
const RAW_PLACEHOLDER = new RegExp(`"${RAW_TOKEN}(\\d+)@@"`, 'g');

/** JSON.stringify, with every {@link RawJson} written as its original text (valid JSON already). */
export function stringifyWithRawJson(value: unknown): string {
  const texts: string[] = [];
  rawCollector = texts;
  let out: string;
  try {
    out = JSON.stringify(value);
  } finally {
    rawCollector = null;
  }
  return texts.length ? out.replace(RAW_PLACEHOLDER, (_, i: string) => texts[Number(i)]) : out;
}

/** avsc options whose JSON fields decode to {@link RawJson} (exports that only copy them out). */
export function rawJsonTypeOptions(): { logicalTypes: Record<string, typeof JsonLogicalType> } {
  return { logicalTypes: { 'phoenix-json': RawJsonLogicalType } };
}

let jsonSession: WeakMap<object, string> | null = null;

/**
 * Within one synchronous validate-then-encode, remember each JSON field's text so it is rendered
 * once, not once per pass. Returns the function that ends the session; nothing can mutate the
 * value in between because no other code runs until it is called.
 */
export function beginJsonSession(): () => void {
  jsonSession = new WeakMap();
  return () => {
    jsonSession = null;
  };
}

/**
 * avsc options every Phoenix serializer and deserializer shares. A fresh object each time:
 * avsc stores named types in the options it is given, so sharing one object across schemas
 * fails with "duplicate type name".
 */
export function avroTypeOptions(): { logicalTypes: Record<string, typeof JsonLogicalType> } {
  return { logicalTypes: { 'phoenix-json': JsonLogicalType } };
}
