import { JSONPath } from 'jsonpath-plus';
import { JsonValue } from './json';

const WHOLE = /^\s*\{\{\s*(\$[^}]*?)\s*\}\}\s*$/;
const PART = /\{\{\s*(\$[^}]*?)\s*\}\}/g;

/** All values a JSONPath selects in `doc` (empty when none). */
export function select(path: string, doc: unknown): unknown[] {
  return JSONPath({ path, json: doc as object, wrap: true }) as unknown[];
}

/**
 * Fills `{{ $.json.path }}` placeholders from the event. A string that is exactly one placeholder
 * takes the selected value with its type (number, object …); otherwise values are spliced into
 * the text. Placeholders that select nothing become null (whole) or an empty string (spliced).
 */
export function render(template: JsonValue | undefined, doc: unknown): JsonValue | undefined {
  if (template === undefined || template === null) return template;
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) return (select(whole[1], doc)[0] ?? null) as JsonValue;
    return template.replace(PART, (_m, path: string) => {
      const v = select(path, doc)[0];
      return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(template)) return template.map((t) => render(t, doc) as JsonValue);
  if (typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, render(v, doc) as JsonValue]));
  }
  return template;
}
