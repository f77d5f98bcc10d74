import * as fs from 'node:fs';
import * as path from 'node:path';
import { Progress } from './artifacts';
import { run, withLock } from './processes';
import { StackOptions } from './stack.options';
import { StackService } from './stack-service';

export const N8N_VERSION = '2.0.0';

/**
 * n8n, installed with npm into a cached prefix outside the project's dependency tree (~1.7 GB,
 * minutes on the first run). 2.0.0 is the last line that runs on Node 20; one dependency (xlsx)
 * points at a URL outside the registry, so it is overridden with the registry's version.
 */
export async function ensureN8n(cacheDir: string, progress: Progress): Promise<string> {
  const prefix = path.join(cacheDir, `n8n-${N8N_VERSION}`);
  const marker = path.join(prefix, '.complete');
  const bin = path.join(prefix, 'node_modules', 'n8n', 'bin', 'n8n');
  if (fs.existsSync(marker) && fs.existsSync(bin)) return bin;
  return withLock(path.join(cacheDir, '.n8n.lock'), async () => {
    if (fs.existsSync(marker) && fs.existsSync(bin)) return bin;
    progress(`installing n8n ${N8N_VERSION} into ${prefix} (first run only; several minutes)…`);
    fs.mkdirSync(prefix, { recursive: true });
    fs.writeFileSync(
      path.join(prefix, 'package.json'),
      JSON.stringify({ name: 'phoenix-n8n-runtime', private: true, dependencies: { n8n: N8N_VERSION }, overrides: { xlsx: '0.18.5' } }, null, 2),
    );
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: prefix });
    fs.writeFileSync(marker, new Date().toISOString());
    return bin;
  });
}

/** n8n on loopback, headless: no telemetry, no task runners, its data under the stack dir. */
export class N8nService implements StackService {
  readonly name = 'n8n' as const;
  readonly startupTimeoutMs = 240000;

  constructor(private readonly o: StackOptions) {}

  get home(): string {
    return path.join(this.o.dir, 'n8n');
  }
  get port(): number {
    return this.o.n8n.port;
  }
  get url(): string {
    return `http://127.0.0.1:${this.o.n8n.port}`;
  }
  get marker(): string {
    return this.home;
  }

  async prepare(progress: Progress): Promise<{ cmd: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv }> {
    const bin = await ensureN8n(this.o.cacheDir, progress);
    fs.mkdirSync(this.home, { recursive: true });
    return {
      cmd: process.execPath,
      args: [bin, 'start'],
      cwd: this.home,
      env: {
        NODE_ENV: 'production',
        N8N_USER_FOLDER: this.home,
        // The task broker listens even with runners off; give each instance its own port.
        N8N_RUNNERS_BROKER_PORT: String(this.o.n8n.port + 1),
        N8N_PORT: String(this.o.n8n.port),
        N8N_LISTEN_ADDRESS: '127.0.0.1',
        N8N_HOST: '127.0.0.1',
        N8N_PROTOCOL: 'http',
        WEBHOOK_URL: `${this.url}/`,
        N8N_DIAGNOSTICS_ENABLED: 'false',
        N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
        N8N_TEMPLATES_ENABLED: 'false',
        N8N_PERSONALIZATION_ENABLED: 'false',
        N8N_HIRING_BANNER_ENABLED: 'false',
        N8N_RUNNERS_ENABLED: 'false',
        N8N_SECURE_COOKIE: 'false',
        // Phoenix's workflows sign their callbacks with Node's crypto and read secrets from $env.
        NODE_FUNCTION_ALLOW_BUILTIN: 'crypto',
        N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
        EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'none',
        EXECUTIONS_DATA_PRUNE: 'true',
        PHOENIX_URL: this.o.n8n.phoenixUrl,
        ...this.o.n8n.env,
      },
    };
  }

  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/healthz/readiness`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }
}
