import { Type } from 'avsc';
import { avroTypeOptions } from './avro-logical-types';
import { AvroSchema } from './schema-files';

/**
 * Null when data written with `previous` can be read with `next` (Avro BACKWARD compatibility),
 * otherwise avsc's reason. This is the same rule the registry enforces, checked without one.
 */
export function backwardIncompatibility(next: AvroSchema, previous: AvroSchema): string | null {
  try {
    const reader = Type.forSchema(next as never, avroTypeOptions());
    const writer = Type.forSchema(previous as never, avroTypeOptions());
    reader.createResolver(writer);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
