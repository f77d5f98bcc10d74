import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './config.exception';

/**
 * Replaces `${VAR}` and `${VAR:-default}` in a config file's text with environment values, so
 * files can be committed while secrets (tokens, passwords) come from the environment.
 */
export function interpolateEnv(text: string, env: NodeJS.ProcessEnv = process.env, file = 'config'): string {
  const missing = new Set<string>();
  const out = text.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    missing.add(name);
    return '';
  });
  if (missing.size) throw new ConfigError([...missing].map((n) => `${file}: environment variable ${n} is not set`));
  return out;
}

/** Interpolates every string value of a parsed document (comments and keys are left alone). */
function interpolateValues(value: unknown, env: NodeJS.ProcessEnv, file: string, missing: string[]): unknown {
  if (typeof value === 'string') {
    try {
      return interpolateEnv(value, env, file);
    } catch (err) {
      missing.push(...(err as ConfigError).problems);
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((v) => interpolateValues(v, env, file, missing));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateValues(v, env, file, missing)]));
  return value;
}

/** Reads a YAML config file, interpolates the environment into its values and validates it; every problem is listed. */
export function loadYamlConfig<T extends z.ZodType>(file: string, schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  let raw: unknown;
  try {
    raw = parseYaml(fs.readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new ConfigError([`${file}: ${(err as Error).message}`]);
  }
  const missing: string[] = [];
  const interpolated = interpolateValues(raw, env, file, missing);
  if (missing.length) throw new ConfigError(missing);
  return parseWith(schema, interpolated, file);
}

/** Validates an already-parsed document, naming the file and the path of each problem. */
export function parseWith<T extends z.ZodType>(schema: T, raw: unknown, file: string): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return parsed.data;
}
