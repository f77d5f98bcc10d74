import Ajv2020 from 'ajv/dist/2020';
import { Type } from 'avsc';
import { cdcExample, genericExample } from './__fixtures__/examples';
import { avroJsonSchema } from './avro-json-schema';
import { avroTypeOptions } from './avro-logical-types';
import { validateAvro } from './event-validator';
import { FAMILIES } from './families';
import { loadFamilySchemas } from './schema-files';

const families = loadFamilySchemas();
const typeOf = (family: keyof typeof FAMILIES) => Type.forSchema(families.get(family)!.schema as never, avroTypeOptions());
const ajv = new Ajv2020({ strict: false, allErrors: true });

/** Values around the valid examples: each field dropped, set to null, to a wrong type, plus an extra field. */
function probes(valid: Record<string, unknown>): unknown[] {
  const out: unknown[] = [valid, null, [], 'text', { ...valid, notAField: 1 }];
  for (const k of Object.keys(valid)) {
    const { [k]: _dropped, ...rest } = valid;
    out.push(rest, { ...valid, [k]: null }, { ...valid, [k]: 'x' }, { ...valid, [k]: 1.5 }, { ...valid, [k]: 2 ** 40 }, { ...valid, [k]: {} }, { ...valid, [k]: [1] });
  }
  return out;
}

describe('avroJsonSchema (the payload schemas of /openapi.json)', () => {
  it('accepts exactly what validateAvro accepts, for every family', () => {
    let compared = 0;
    for (const family of Object.keys(FAMILIES) as (keyof typeof FAMILIES)[]) {
      const type = typeOf(family) as Type & { fields: { name: string; type: Type }[] };
      const payload = type.fields.find((f) => f.name === 'payload')!.type;
      const check = ajv.compile(avroJsonSchema(payload));
      // A random valid payload (from the type without logical types: JSON fields come out as text, a valid JSON value).
      const plain = (Type.forSchema(families.get(family)!.schema as never) as Type & { fields: { name: string; type: Type }[] }).fields.find((f) => f.name === 'payload')!.type;
      const example = (family === 'cdc' ? cdcExample.payload : family === 'generic' ? genericExample.payload : plain.random()) as unknown as Record<string, unknown>;
      for (const value of probes(JSON.parse(JSON.stringify(example)) as Record<string, unknown>)) {
        const avro = validateAvro(payload, value).length === 0;
        expect({ family, value, valid: check(value) }).toEqual({ family, value, valid: avro });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('states what a record requires and closes it', () => {
    const t = Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'long' }, { name: 'b', type: ['null', 'string'], default: null }, { name: 'c', type: { type: 'enum', name: 'E', symbols: ['x', 'y'] } }] });
    expect(avroJsonSchema(t)).toEqual({
      type: 'object',
      properties: {
        a: { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
        b: { anyOf: [{ type: 'null' }, { type: 'string' }] },
        c: { type: 'string', enum: ['x', 'y'] },
      },
      required: ['a', 'c'],
      additionalProperties: false,
    });
  });
});
