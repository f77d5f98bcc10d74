import { Type } from 'avsc';
import { Violation } from './contracts.exception';

// avsc's Type subclasses expose these at runtime; its typings only declare them on subclasses.
interface AvroField {
  name: string;
  type: Type;
  defaultValue(): unknown;
}
type AnyAvroType = Type & {
  fields?: AvroField[];
  symbols?: string[];
  itemsType?: Type;
  valuesType?: Type;
  types?: Type[];
  underlyingType?: Type;
};

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function describe(type: AnyAvroType): string {
  switch (type.typeName) {
    case 'record':
      return 'an object';
    case 'enum':
      return `one of ${type.symbols!.map((s) => `"${s}"`).join(', ')}`;
    case 'array':
      return 'an array';
    case 'map':
      return 'an object';
    case 'int':
      return 'a 32-bit integer';
    case 'long':
      return 'an integer';
    case 'float':
    case 'double':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'null':
      return 'null';
    case 'bytes':
    case 'fixed':
      return 'bytes';
    case 'logical:phoenix-json':
      return 'a JSON value other than null';
    default:
      if (type.types) return type.types.map((t) => describe(t as AnyAvroType)).join(' or ');
      return type.typeName;
  }
}

function got(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function check(type: AnyAvroType, value: unknown, path: string, out: Violation[]): void {
  const bad = (): void => {
    out.push({ path: path || '/', message: `must be ${describe(type)}, got ${got(value)}` });
  };
  switch (type.typeName) {
    case 'record': {
      if (!isPlainObject(value)) return bad();
      const names = new Set<string>();
      for (const field of type.fields!) {
        names.add(field.name);
        const v = value[field.name];
        if (v === undefined) {
          if (field.defaultValue() === undefined) out.push({ path: `${path}/${escapePointer(field.name)}`, message: 'is required' });
          continue;
        }
        check(field.type as AnyAvroType, v, `${path}/${escapePointer(field.name)}`, out);
      }
      for (const key of Object.keys(value)) {
        if (!names.has(key) && value[key] !== undefined) {
          out.push({ path: `${path}/${escapePointer(key)}`, message: 'is not a field of this schema' });
        }
      }
      return;
    }
    case 'enum':
      if (typeof value !== 'string' || !type.symbols!.includes(value)) bad();
      return;
    case 'array':
      if (!Array.isArray(value)) return bad();
      value.forEach((item, i) => check(type.itemsType as AnyAvroType, item, `${path}/${i}`, out));
      return;
    case 'map':
      if (!isPlainObject(value)) return bad();
      for (const [k, v] of Object.entries(value)) check(type.valuesType as AnyAvroType, v, `${path}/${escapePointer(k)}`, out);
      return;
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = type.types as AnyAvroType[];
      // Each branch by these same rules: avsc's isValid takes an array for a record whose fields all have defaults.
      if (branches.some((b) => { const trial: Violation[] = []; check(b, value, path, trial); return trial.length === 0; })) return;
      const nonNull = branches.filter((b) => b.typeName !== 'null');
      // A nullable single type reports the nested problem rather than "must be null or …".
      if (value !== null && nonNull.length === 1) return check(nonNull[0], value, path, out);
      return bad();
    }
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < -2147483648 || value > 2147483647) bad();
      return;
    case 'long':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) bad();
      return;
    case 'float':
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) bad();
      return;
    case 'string':
      if (typeof value !== 'string') bad();
      return;
    case 'boolean':
      if (typeof value !== 'boolean') bad();
      return;
    case 'null':
      if (value !== null) bad();
      return;
    default:
      if (!type.isValid(value)) bad();
  }
}

/**
 * Every way `value` fails `type`, each located by a JSON pointer (RFC 6901). Empty when valid.
 * Unlike avsc's own check, this reports all violations, names missing and undeclared fields,
 * and says what was expected in words an API user understands.
 */
export function validateAvro(type: Type, value: unknown): Violation[] {
  const out: Violation[] = [];
  check(type as AnyAvroType, value, '', out);
  return out;
}
