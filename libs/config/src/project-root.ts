import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/**
 * The directory holding Phoenix's package.json and schemas/. Code runs from `libs/…/src` under
 * jest and from `dist/libs/…/src` when built, so the root is found by walking up, not by a
 * fixed number of `..`.
 */
export function findProjectRoot(start: string = __dirname): string {
  if (cached) return cached;
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'schemas', 'envelope.avsc')) && fs.existsSync(path.join(dir, 'package.json'))) {
      cached = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Phoenix project root not found above ${start}`);
    dir = parent;
  }
}

let version: string | undefined;

/** Phoenix's version, from the project's package.json (the one place it is written). */
export function phoenixVersion(): string {
  version ??= String((JSON.parse(fs.readFileSync(path.join(findProjectRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version ?? '0.0.0');
  return version;
}
