import * as fs from 'node:fs';
import * as path from 'node:path';
import { VectorArena } from './vector-arena';
import { VECTOR_KERNEL_WASM } from './vector-kernel.wasm';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compile, render } = require('../../../scripts/build-wasm.js') as { compile(): Promise<Buffer>; render(b: Buffer): string };

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

describe('VectorArena (WebAssembly SIMD dot products)', () => {
  it('ships the kernel compiled from vector-kernel.wat (run node scripts/build-wasm.js after editing it)', async () => {
    const bytes = await compile();
    expect(VECTOR_KERNEL_WASM).toBe(bytes.toString('base64'));
    expect(fs.readFileSync(path.join(__dirname, 'vector-kernel.wasm.ts'), 'utf8')).toBe(render(bytes));
  });

  it.each([
    ['SIMD kernel', true],
    ['JavaScript fallback', false],
  ])('%s: scores equal float64 dot products, across growth, overwrites and cleared rows', (_, simd) => {
    const dim = 37; // not a multiple of 8: exercises the padding
    const arena = new VectorArena(dim, { simd: simd as boolean });
    expect(arena.simd).toBe(simd);
    const r = rng(7);
    const rows: number[][] = [];
    for (let i = 0; i < 3000; i++) {
      // Grows past the first 1024-row allocation twice, moving the rows each time.
      const v = Array.from({ length: dim }, r);
      rows.push(v);
      arena.ensure(i + 1);
      arena.set(i, v);
    }
    rows[5] = Array.from({ length: dim }, r);
    arena.set(5, rows[5]);
    arena.clear(9);
    rows[9] = new Array(dim).fill(0);
    arena.set(11, rows[11], 0.5);
    rows[11] = rows[11].map((x) => x * 0.5);
    const q = Array.from({ length: dim }, r);
    const scores = arena.scan(q, rows.length);
    rows.forEach((row, i) => expect(scores[i]).toBeCloseTo(row.reduce((acc, x, j) => acc + x * q[j], 0), 4));
    expect(() => arena.scan(q, 10_000_000)).toThrow(RangeError);
  });
});
