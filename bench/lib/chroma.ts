import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The Chroma server release the soak's shared-stores mode runs (PyPI `chromadb`). */
export const CHROMA_VERSION = '1.5.9';

export interface ChromaServer {
  host: string;
  port: number;
  /** SIGKILL (an outage); `start()` brings it back on the same port and data. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A venv under ~/.cache/phoenix holding the Chroma server; created once, reused after. */
export function ensureChroma(log: (m: string) => void): string {
  const venv = path.join(os.homedir(), '.cache', 'phoenix', `chroma-${CHROMA_VERSION}`);
  const bin = path.join(venv, 'bin', 'chroma');
  if (fs.existsSync(bin)) return bin;
  log(`installing chromadb ${CHROMA_VERSION} into ${venv} (first run only)`);
  const mk = spawnSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  if (mk.status !== 0) throw new Error('python3 -m venv failed');
  const pip = spawnSync(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', `chromadb==${CHROMA_VERSION}`], { stdio: 'inherit' });
  if (pip.status !== 0) throw new Error(`pip install chromadb==${CHROMA_VERSION} failed`);
  return bin;
}

/**
 * A Chroma server on loopback, data in `dataDir`: the networked vector store two memory-writers
 * share (Mem0's `chroma` provider). Telemetry off.
 */
export async function startChroma(bin: string, dataDir: string, port: number, logFile: string): Promise<ChromaServer> {
  let child: ChildProcess | undefined;
  const host = '127.0.0.1';
  const up = async () => {
    try {
      return (await fetch(`http://${host}:${port}/api/v2/heartbeat`, { signal: AbortSignal.timeout(1000) })).ok;
    } catch {
      return false;
    }
  };
  const start = async () => {
    fs.mkdirSync(dataDir, { recursive: true });
    const out = fs.openSync(logFile, 'a');
    child = spawn(bin, ['run', '--path', dataDir, '--host', host, '--port', String(port)], { stdio: ['ignore', out, out], env: { ...process.env, ANONYMIZED_TELEMETRY: 'False' } });
    fs.closeSync(out);
    const deadline = Date.now() + 60_000;
    while (!(await up())) {
      if (child.exitCode !== null) throw new Error(`chroma exited (${child.exitCode}); see ${logFile}`);
      if (Date.now() > deadline) throw new Error(`chroma not up on ${port} after 60 s; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const halt = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  };
  await start();
  return { host, port, start, kill: () => halt('SIGKILL'), stop: () => halt('SIGTERM') };
}
