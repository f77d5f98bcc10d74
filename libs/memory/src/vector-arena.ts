import { VECTOR_KERNEL_WASM } from './vector-kernel.wasm';

interface Kernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  scan(rows: number, query: number, out: number, count: number, dim: number): void;
}

/** The part of the WebAssembly global used here (the project's TS libs leave it undeclared). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The SIMD kernel, or null where WebAssembly SIMD is unavailable (then scans run in JavaScript). */
function kernelModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = new wasm.Module(Buffer.from(VECTOR_KERNEL_WASM, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

const PAGE = 65536;
const align = (n: number, to: number) => Math.ceil(n / to) * to;

/**
 * Fixed-width float32 rows in one WebAssembly memory, scored against a query by the SIMD kernel
 * (vector-kernel.wat): about five times the speed of the same loop in JavaScript. Layout: the
 * query, then one float32 score per row, then the rows (width padded to a multiple of 16 with
 * zeros). Growing moves the rows up in place.
 */
export class VectorArena {
  readonly width: number;
  private capacity = 0;
  private readonly kernel: Kernel | null;
  private js: Float32Array = new Float32Array(0);
  private queryOff = 0;
  private scoresOff = 0;
  private rowsOff = 0;

  constructor(
    readonly dim: number,
    opts: { simd?: boolean } = {},
  ) {
    this.width = align(dim, 16);
    const mod = opts.simd === false ? null : kernelModule();
    this.kernel = mod ? (new wasm.Instance(mod).exports as unknown as Kernel) : null;
    this.scoresOff = align(this.width * 4, 64);
    this.ensure(1);
  }

  /** Whether scans run on the SIMD kernel. */
  get simd(): boolean {
    return this.kernel !== null;
  }

  private get heap(): Float32Array {
    return this.kernel ? new Float32Array(this.kernel.memory.buffer) : this.js;
  }

  /** Makes room for `rows` rows (amortized doubling). */
  ensure(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = Math.max(1024, rows, this.capacity * 2);
    const rowsOff = align(this.scoresOff + capacity * 4, 64);
    const bytes = rowsOff + capacity * this.width * 4;
    if (this.kernel) {
      const have = this.kernel.memory.buffer.byteLength;
      if (bytes > have) this.kernel.memory.grow(Math.ceil((bytes - have) / PAGE));
    } else {
      const next = new Float32Array(bytes / 4);
      next.set(this.js);
      this.js = next;
    }
    const heap = this.heap;
    // Move the existing rows to their new place (regions only ever move up).
    if (this.capacity > 0) heap.copyWithin(rowsOff / 4, this.rowsOff / 4, (this.rowsOff + this.capacity * this.width * 4) / 4);
    heap.fill(0, (rowsOff + this.capacity * this.width * 4) / 4, bytes / 4);
    this.rowsOff = rowsOff;
    this.capacity = capacity;
  }

  /** Writes row `i` (values beyond `dim` stay zero). */
  set(i: number, values: ArrayLike<number>, scale = 1): void {
    const base = this.rowsOff / 4 + i * this.width;
    const heap = this.heap;
    for (let j = 0; j < this.dim; j++) heap[base + j] = j < values.length ? values[j] * scale : 0;
  }

  clear(i: number): void {
    const base = this.rowsOff / 4 + i * this.width;
    this.heap.fill(0, base, base + this.width);
  }

  /** Dot product of `query` with rows 0..count-1; the returned view is valid until the next call. */
  scan(query: ArrayLike<number>, count: number): Float32Array {
    if (count > this.capacity) throw new RangeError(`scan of ${count} rows, capacity ${this.capacity}`);
    const heap = this.heap;
    const q = this.queryOff / 4;
    for (let j = 0; j < this.width; j++) heap[q + j] = j < query.length ? query[j] : 0;
    if (this.kernel) {
      this.kernel.scan(this.rowsOff, this.queryOff, this.scoresOff, count, this.width);
      return new Float32Array(this.kernel.memory.buffer, this.scoresOff, count);
    }
    const out = new Float32Array(this.js.buffer, this.scoresOff, count);
    const w = this.width;
    for (let r = 0, base = this.rowsOff / 4; r < count; r++, base += w) {
      let a = 0;
      let b = 0;
      for (let j = 0; j < w; j += 2) {
        a += heap[base + j] * heap[q + j];
        b += heap[base + j + 1] * heap[q + j + 1];
      }
      out[r] = a + b;
    }
    return out;
  }
}
