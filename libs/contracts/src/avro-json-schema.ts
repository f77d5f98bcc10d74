import { Type } from 'avsc';

type JsonSchema = Record<string, unknown>;
interface AvroField {
  name: string;
  type: Type;
  doc?: string;
  defaultValue(): unknown;
}
type AnyAvroType = Type & { fields?: AvroField[]; symbols?: string[]; itemsType?: Type; valuesType?: Type; types?: Type[] };

/**
 * The JSON Schema (2020-12) of the JSON values `validateAvro` accepts for an Avro type — the same
 * rules, stated for clients (the OpenAPI document): records are closed objects whose fields
 * without a default are required, longs are safe integers, phoenix-json is any non-null JSON.
 */
export function avroJsonSchema(type: Type): JsonSchema {
  const t = type as AnyAvroType;
  switch (t.typeName) {
    case 'record': {
      const fields = t.fields!;
      return {
        type: 'object',
        properties: Object.fromEntries(fields.map((f) => [f.name, avroJsonSchema(f.type)])),
        required: fields.filter((f) => f.defaultValue() === undefined).map((f) => f.name),
        additionalProperties: false,
      };
    }
    case 'enum':
      return { type: 'string', enum: [...t.symbols!] };
    case 'array':
      return { type: 'array', items: avroJsonSchema(t.itemsType!) };
    case 'map':
      return { type: 'object', additionalProperties: avroJsonSchema(t.valuesType!) };
    case 'union:unwrapped':
    case 'union:wrapped':
      return { anyOf: t.types!.map((b) => avroJsonSchema(b)) };
    case 'int':
      return { type: 'integer', minimum: -2147483648, maximum: 2147483647 };
    case 'long':
      return { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
    case 'float':
    case 'double':
      return { type: 'number' };
    case 'string':
      return { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'null':
      return { type: 'null' };
    case 'logical:phoenix-json':
      return { not: { type: 'null' } };
    default:
      throw new Error(`no JSON form for Avro type ${t.typeName}`);
  }
}
