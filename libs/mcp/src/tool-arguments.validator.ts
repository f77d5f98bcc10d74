import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { Violation } from '@phoenix/contracts';

/**
 * Validates tool arguments against the tool's JSON Schema (`inputSchema`) before a call, so
 * bad arguments are rejected with JSON-pointer violations instead of reaching the server.
 */
export class ToolArgumentsValidator {
  private readonly ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    addFormats(this.ajv);
  }

  validate(schema: unknown, args: unknown): Violation[] {
    const key = JSON.stringify(schema);
    let fn = this.cache.get(key);
    if (!fn) {
      try {
        fn = this.ajv.compile(schema as object);
      } catch (err) {
        return [{ path: '/', message: `the tool's input schema cannot be compiled: ${(err as Error).message}` }];
      }
      this.cache.set(key, fn);
    }
    if (fn(args)) return [];
    return (fn.errors ?? []).map((e) => {
      const missing = e.keyword === 'required' ? `/${(e.params as { missingProperty: string }).missingProperty}` : '';
      const extra = e.keyword === 'additionalProperties' ? `/${(e.params as { additionalProperty: string }).additionalProperty}` : '';
      return { path: `/arguments${e.instancePath}${missing}${extra}`, message: e.message ?? e.keyword };
    });
  }
}
