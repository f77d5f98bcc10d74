import * as fs from 'node:fs';
import * as path from 'node:path';
import { findProjectRoot } from '@phoenix/config';
import { ContractError, ContractErrorCode } from './contracts.exception';
import { FAMILIES, FamilyName } from './families';

/** An Avro schema as parsed JSON. */
export type AvroSchema = { [key: string]: unknown };

export interface FamilySchema {
  family: FamilyName;
  /** The full value schema registered for every topic of the family. */
  schema: AvroSchema;
  /** Schema files it was composed from, relative to the project root. */
  files: string[];
}

export function schemasDir(root = findProjectRoot()): string {
  return path.join(root, 'schemas');
}

export function readSchemaFile(file: string, dir = schemasDir()): AvroSchema {
  const full = path.join(dir, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (cause) {
    throw new ContractError(ContractErrorCode.SchemaFileInvalid, `schema file ${full} cannot be read`, { cause });
  }
  try {
    return parseSchemaText(text);
  } catch (cause) {
    throw new ContractError(ContractErrorCode.SchemaFileInvalid, `schema file ${full} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

export function parseSchemaText(text: string): AvroSchema {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('an Avro schema file must hold one JSON object');
  }
  return parsed as AvroSchema;
}

/**
 * The family's value schema: the envelope with its `payload` field replaced by the family's
 * payload record. The envelope is written once (schemas/envelope.avsc) and reused by every family.
 */
export function composeFamilySchema(envelope: AvroSchema, payload: AvroSchema | null, eventName: string): AvroSchema {
  const fields = envelope.fields as AvroSchema[];
  return {
    ...envelope,
    name: eventName,
    fields: fields.map((f) => (f.name === 'payload' && payload ? { ...f, type: payload, doc: payload.doc ?? f.doc } : f)),
  };
}

/** Loads every family's composed schema from a schemas directory (the working tree by default). */
export function loadFamilySchemas(read: (file: string) => AvroSchema = (f) => readSchemaFile(f)): Map<FamilyName, FamilySchema> {
  const envelope = read('envelope.avsc');
  const out = new Map<FamilyName, FamilySchema>();
  for (const [family, def] of Object.entries(FAMILIES) as [FamilyName, (typeof FAMILIES)[FamilyName]][]) {
    const payloadFile = def.payload ? `payloads/${def.payload}` : null;
    const payload = payloadFile ? read(payloadFile) : null;
    out.set(family, {
      family,
      schema: composeFamilySchema(envelope, payload, def.eventName),
      files: ['schemas/envelope.avsc', ...(payloadFile ? [`schemas/${payloadFile}`] : [])],
    });
  }
  return out;
}
