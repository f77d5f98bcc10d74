import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Extra node flags for every app (`SOAK_NODE_ARGS="--trace-gc"`): for a post-mortem, not for the tables. */
const nodeArgs = () => (process.env.SOAK_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

export type SoakApp = 'gateway' | 'router' | 'mcp-worker' | 'supervisor' | 'memory-writer';

interface Member {
  app: SoakApp;
  /** router#2 etc.: a second process of the same app (same consumer group). */
  name: string;
  port: number;
  child?: ChildProcess;
  log: string;
  starts: number;
  /** This member's own additions to the fleet's environment. */
  env: NodeJS.ProcessEnv;
}

/**
 * Phoenix's apps as separate processes (built `dist/apps/<app>`), each with its own HTTP port:
 * start, SIGKILL as a crash would, restart, and add a second member of a group (rebalance).
 */
export class SoakFleet {
  private readonly members = new Map<string, Member>();
  private nextPort: number;

  constructor(
    private readonly root: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
    basePort: number,
  ) {
    this.nextPort = basePort;
    fs.mkdirSync(logDir, { recursive: true });
  }

  port(name: string): number {
    const m = this.members.get(name);
    if (!m) throw new Error(`no fleet member ${name}`);
    return m.port;
  }

  url(name: string): string {
    return `http://127.0.0.1:${this.port(name)}`;
  }

  pid(name: string): number | undefined {
    return this.members.get(name)?.child?.pid;
  }

  running(name: string): boolean {
    const c = this.members.get(name)?.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  /** Starts (or restarts) a member; `env` is added to the fleet's environment for this member only. */
  async start(app: SoakApp, name: string = app, env: NodeJS.ProcessEnv = {}): Promise<void> {
    let m = this.members.get(name);
    if (!m) {
      m = { app, name, port: this.nextPort++, log: '', starts: 0, env };
      this.members.set(name, m);
    }
    if (this.running(name)) return;
    const portEnv = app === 'gateway' ? { GATEWAY_PORT: String(m.port) } : { HEALTH_PORT: String(m.port) };
    const out = fs.openSync(path.join(this.logDir, `${name.replace('#', '-')}.log`), 'a');
    const child = spawn(process.execPath, [...nodeArgs(), path.join(this.root, `dist/apps/${app}/src/main.js`)], { cwd: this.root, env: { ...this.env, ...m.env, ...portEnv }, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    m.child = child;
    m.starts++;
    await this.waitReady(name);
  }

  private async waitReady(name: string, timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running(name)) throw new Error(`${name} exited while starting; see ${this.logDir}/${name.replace('#', '-')}.log`);
      try {
        const res = await fetch(`${this.url(name)}/health/ready`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGKILL: no shutdown hooks, no commits, no flush — a crash. */
  async kill(name: string): Promise<void> {
    const c = this.members.get(name)?.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM and wait: a clean stop (drains and commits). */
  async stop(name: string): Promise<void> {
    const c = this.members.get(name)?.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  /** Last resort (a failed run): no process of the fleet outlives the harness. */
  killAll(): void {
    for (const m of this.members.values()) if (m.child && m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.members.keys()].map((n) => this.stop(n)));
  }

  /** Reads an app's Prometheus text and sums a metric's samples whose labels contain `match`. */
  async metric(name: string, metric: string, match: Record<string, string> = {}): Promise<number | null> {
    if (!this.running(name)) return null;
    try {
      const text = await (await fetch(`${this.url(name)}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
      let sum = 0;
      let found = false;
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
        if (!Object.entries(match).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
        found = true;
      }
      return found ? sum : null;
    } catch {
      return null;
    }
  }

  /** Lines of an app's log matching `re` (e.g. kafkajs re-join messages). */
  count(name: string, re: RegExp): number {
    const file = path.join(this.logDir, `${name.replace('#', '-')}.log`);
    if (!fs.existsSync(file)) return 0;
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => re.test(l)).length;
  }
}
