import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/** What a run sends back: vectors (`dims` per row) or one score per passage. */
export interface ModelAnswer {
  dims?: number;
  data: Float32Array;
}

interface Job {
  resolve: (v: ModelAnswer) => void;
  reject: (e: Error) => void;
}

/** The models' thread and the runs it has in hand. */
interface ModelThread {
  thread: Worker;
  jobs: Map<number, Job>;
}

/**
 * One models thread per process (per models directory), shared by every local embedder and
 * reranker and never terminated (it is unref'd, so it does not keep the process alive):
 * onnxruntime-node's native addon cannot be loaded again in a process once the last thread that
 * loaded it has exited ("Module did not self-register"). One thread also keeps inference to one
 * core, whatever asks for it.
 */
const THREADS = new Map<string, ModelThread>();
let nextJob = 0;

function thread(modelsRoot: string): ModelThread {
  const running = THREADS.get(modelsRoot);
  if (running) return running;
  const w = new Worker(path.join(__dirname, 'local-model.worker.js'), { workerData: { modelsRoot } });
  const jobs = new Map<number, Job>();
  w.unref();
  w.on('message', (m: { id: number; dims?: number; data?: Float32Array; error?: string }) => {
    const job = jobs.get(m.id);
    if (!job) return;
    jobs.delete(m.id);
    // Only a thread with work outstanding holds the process open.
    if (jobs.size === 0) w.unref();
    if (m.error !== undefined || !m.data) return job.reject(new Error(`local model: ${m.error ?? 'nothing returned'}`));
    job.resolve({ dims: m.dims, data: m.data });
  });
  // A thread that dies fails what it had; the next call starts another (which may fail to load
  // the addon, see THREADS, and then says so in its error).
  const fail = (err: Error) => {
    if (THREADS.get(modelsRoot)?.thread === w) THREADS.delete(modelsRoot);
    for (const job of jobs.values()) job.reject(new Error(`local model thread stopped: ${err.message}`));
    jobs.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  const t = { thread: w, jobs };
  THREADS.set(modelsRoot, t);
  return t;
}

/** Runs one inference on the models thread of `modelsRoot` (started on first use). */
export function runOnModelThread(modelsRoot: string, message: Record<string, unknown>): Promise<ModelAnswer> {
  return new Promise((resolve, reject) => {
    const { thread: w, jobs } = thread(modelsRoot);
    const id = nextJob++;
    jobs.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ ...message, id });
  });
}
