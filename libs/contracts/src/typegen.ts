import * as path from 'node:path';
import { FAMILIES } from './families';
import { AvroSchema, readSchemaFile } from './schema-files';

/**
 * Generates TypeScript declarations from the Avro schemas, so `libs/contracts` types are derived
 * from `schemas/` rather than written twice. The output is committed; a spec fails when it drifts.
 */
export function generateTypes(envelope: AvroSchema, payloads: { schema: AvroSchema | null; eventName: string }[]): string {
  const out: string[] = [
    '// Generated from schemas/ by `npm run schemas:types`. Do not edit by hand.',
    "import { JsonValue } from '../json';",
    '',
  ];
  const emitted = new Set<string>();

  const doc = (text: unknown, indent = ''): string[] => (typeof text === 'string' ? [`${indent}/** ${text} */`] : []);

  const typeOf = (t: unknown): string => {
    if (typeof t === 'string') {
      switch (t) {
        case 'null':
          return 'null';
        case 'boolean':
          return 'boolean';
        case 'int':
        case 'long':
        case 'float':
        case 'double':
          return 'number';
        case 'string':
          return 'string';
        case 'bytes':
          return 'Buffer';
        default:
          return t.split('.').pop() as string;
      }
    }
    if (Array.isArray(t)) return t.map(typeOf).join(' | ');
    const s = t as AvroSchema;
    if (s.logicalType === 'phoenix-json') return 'JsonValue';
    switch (s.type) {
      case 'record':
        emitRecord(s);
        return s.name as string;
      case 'enum':
        emitEnum(s);
        return s.name as string;
      case 'array':
        return `${wrap(typeOf(s.items))}[]`;
      case 'map':
        return `Record<string, ${typeOf(s.values)}>`;
      case 'fixed':
        return 'Buffer';
      default:
        return typeOf(s.type);
    }
  };
  const wrap = (t: string) => (t.includes('|') ? `(${t})` : t);

  function emitEnum(s: AvroSchema) {
    const name = s.name as string;
    if (emitted.has(name)) return;
    emitted.add(name);
    out.push(...doc(s.doc), `export type ${name} = ${(s.symbols as string[]).map((v) => `'${v}'`).join(' | ')};`, '');
  }

  function emitRecord(s: AvroSchema, generic?: { field: string; param: string }) {
    const name = s.name as string;
    if (emitted.has(name)) return;
    emitted.add(name);
    const lines: string[] = [];
    for (const f of s.fields as AvroSchema[]) {
      const fieldType = generic && f.name === generic.field ? generic.param : typeOf(f.type);
      lines.push(...doc(f.doc, '  '), `  ${f.name as string}: ${fieldType};`);
    }
    const header = generic ? `export interface ${name}<${generic.param} = JsonValue> {` : `export interface ${name} {`;
    out.push(...doc(s.doc), header, ...lines, '}', '');
  }

  emitRecord(envelope, { field: 'payload', param: 'TPayload' });
  for (const p of payloads) {
    const payloadName = p.schema ? typeOf(p.schema) : 'JsonValue';
    out.push(`export type ${p.eventName} = ${envelope.name as string}<${payloadName}>;`, '');
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

/** The generated file's path and its expected content for the schemas in the working tree. */
export function renderGeneratedTypes(read: (file: string) => AvroSchema = (f) => readSchemaFile(f)): string {
  const envelope = read('envelope.avsc');
  const payloads = (Object.values(FAMILIES) as { payload: string | null; eventName: string }[]).map((def) => ({
    schema: def.payload ? read(`payloads/${def.payload}`) : null,
    eventName: def.eventName,
  }));
  return generateTypes(envelope, payloads);
}

export const GENERATED_TYPES_FILE = path.join('libs', 'contracts', 'src', 'generated', 'events.generated.ts');
