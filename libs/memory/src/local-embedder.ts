import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ensureLocalModel, LOCAL_MODEL_ID } from './local-model';

/** The model's thread and the runs it has in hand. */
interface ModelThread {
  thread: Worker;
  jobs: Map<number, Job>;
}

/**
 * One model thread per process (per models directory), shared by every LocalEmbedder and never
 * terminated (it is unref'd, so it does not keep the process alive): onnxruntime-node's native
 * addon cannot be loaded again in a process once the last thread that loaded it has exited
 * ("Module did not self-register").
 */
const THREADS = new Map<string, ModelThread>();
let nextJob = 0;

/** One inference run on the model's thread. */
interface Job {
  resolve: (v: number[][]) => void;
  reject: (e: Error) => void;
  count: number;
}

/**
 * all-MiniLM-L6-v2 (transformers.js + onnxruntime, int8), offline: remote model loading is
 * disabled and the files come from {@link ensureLocalModel}. Mean pooling and L2 normalization,
 * as sentence-transformers does. Inference runs on a worker thread (`local-embedder.worker.js`):
 * onnxruntime-node's `run` is synchronous, and on the event loop a batch would hold up Kafka
 * heartbeats, health checks and HTTP for its whole duration. Concurrent calls are coalesced into
 * one batch. Exposes `embedQuery`/`embedDocuments`, the embeddings interface Mem0's langchain
 * provider takes.
 */
export class LocalEmbedder {
  readonly batchSize = 64;
  private pending: { text: string; resolve: (v: number[]) => void; reject: (e: Error) => void }[] = [];
  private scheduled = false;
  private readonly cache = new Map<string, number[]>();
  readonly cacheSize = 10_000;

  constructor(private readonly modelsRoot: string) {}

  /** The model's thread, started on first use (see {@link THREADS}). */
  private thread(): ModelThread {
    const running = THREADS.get(this.modelsRoot);
    if (running) return running;
    ensureLocalModel(this.modelsRoot);
    const w = new Worker(path.join(__dirname, 'local-embedder.worker.js'), { workerData: { modelsRoot: this.modelsRoot, modelId: LOCAL_MODEL_ID } });
    const jobs = new Map<number, Job>();
    w.unref();
    w.on('message', (m: { id: number; dims?: number; data?: Float32Array; error?: string }) => {
      const job = jobs.get(m.id);
      if (!job) return;
      jobs.delete(m.id);
      // Only a thread with work outstanding holds the process open.
      if (jobs.size === 0) w.unref();
      if (m.error !== undefined || !m.data || !m.dims) return job.reject(new Error(`local embedder: ${m.error ?? 'no vectors returned'}`));
      const out: number[][] = [];
      for (let j = 0; j < job.count; j++) out.push(Array.from(m.data.subarray(j * m.dims, (j + 1) * m.dims)));
      job.resolve(out);
    });
    // A thread that dies fails what it had; the next call starts another (which may fail to load
    // the addon, see THREADS, and then says so in its error).
    const fail = (err: Error) => {
      if (THREADS.get(this.modelsRoot)?.thread === w) THREADS.delete(this.modelsRoot);
      for (const job of jobs.values()) job.reject(new Error(`local embedder thread stopped: ${err.message}`));
      jobs.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    const t = { thread: w, jobs };
    THREADS.set(this.modelsRoot, t);
    return t;
  }

  private run(texts: string[]): Promise<number[][]> {
    return new Promise((resolve, reject) => {
      const { thread, jobs } = this.thread();
      const id = nextJob++;
      jobs.set(id, { resolve, reject, count: texts.length });
      thread.ref();
      thread.postMessage({ id, texts });
    });
  }

  /**
   * Embeds a list of texts. Mem0 calls this for the entities it extracts from every query and
   * memory (company, person, product names), which recur constantly: those vectors are remembered
   * (LRU of {@link cacheSize} texts), so only new names cost an inference. Queries (embedQuery) are
   * not cached.
   */
  async embedDocuments(texts: string[]): Promise<number[][]> {
    const out: (number[] | undefined)[] = texts.map((t) => {
      const hit = this.cache.get(t);
      if (hit) {
        this.cache.delete(t);
        this.cache.set(t, hit);
      }
      return hit;
    });
    const missing = [...new Set(texts.filter((_, i) => !out[i]))];
    if (missing.length) {
      const vectors = await this.infer(missing);
      const byText = new Map(missing.map((t, i) => [t, vectors[i]]));
      for (const [t, v] of byText) {
        this.cache.set(t, v);
        if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      }
      texts.forEach((t, i) => (out[i] ??= byText.get(t)));
    }
    // Copies: callers may keep or change what they get.
    return out.map((v) => [...v!]);
  }

  /**
   * Every chunk is posted at once: the thread runs them back to back, instead of waiting for this
   * (possibly busy) event loop to hand over the next one after each answer.
   */
  private async infer(texts: string[]): Promise<number[][]> {
    const runs: Promise<number[][]>[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) runs.push(this.run(texts.slice(i, i + this.batchSize)));
    return (await Promise.all(runs)).flat();
  }

  /** One text; calls made in the same tick share an inference run. */
  embedQuery(text: string): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ text, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    try {
      const vectors = await this.infer(batch.map((b) => b.text));
      batch.forEach((b, i) => b.resolve(vectors[i]));
    } catch (err) {
      for (const b of batch) b.reject(err as Error);
    }
  }
}
