import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { EdgeConfigInput, renderHaproxyConfig } from './haproxy.config';
import { askStatsSocket, EdgeStats, edgeStatsFrom, parseShowStat } from './haproxy-stats';
import { Backoff } from '@phoenix/concurrency';

export interface EdgeLog {
  info(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

/** HAProxy's version; throws a message saying what to install when the binary is missing or older than 2.2 (`http-request deny … hdr`). */
export function haproxyVersion(bin: string): string {
  const out = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) throw new Error(`GATEWAY_EDGE=haproxy needs HAProxy 2.2 or later: '${bin} -v' failed (${out.error?.message ?? out.stderr.trim()}). Install it (apt-get install haproxy) or set GATEWAY_EDGE_BIN.`);
  const m = /version (\d+)\.(\d+)\S*/.exec(out.stdout);
  if (!m) throw new Error(`GATEWAY_EDGE=haproxy: cannot read a version from '${bin} -v': ${out.stdout.slice(0, 120)}`);
  if (Number(m[1]) < 2 || (Number(m[1]) === 2 && Number(m[2]) < 2)) throw new Error(`GATEWAY_EDGE=haproxy needs HAProxy 2.2 or later; ${bin} is ${m[0]}`);
  return m[0].slice('version '.length);
}

/**
 * Connections the edge can hold within this process's open-file limit (HAProxy refuses to start
 * when `maxconn` needs more than it may raise to: about two descriptors per proxied connection).
 */
export function edgeMaxConnections(limitsFile = '/proc/self/limits'): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(fs.readFileSync(limitsFile, 'utf8'));
    const hard = m ? (m[2] === 'unlimited' ? 1_048_576 : Number(m[2])) : 4096;
    return Math.max(256, Math.floor((Math.min(hard, 1_048_576) - 200) / 2));
  } catch {
    return 2000;
  }
}

/**
 * HAProxy as the gateway's edge: the configuration from {@link renderHaproxyConfig}, run in the
 * foreground as a child of the gateway's primary, restarted if it dies, stopped gracefully
 * (in-flight requests finish) with the primary. Where util-linux's `setpriv` exists the child also
 * gets SIGTERM if the primary dies without stopping it, so a killed gateway frees its port.
 */
export class HaproxyEdge {
  private child?: ChildProcess;
  private stopping = false;
  private readonly crashes = new Backoff(250, MAX_BACKOFF_MS);
  private readonly configPath: string;

  constructor(
    private readonly opts: { bin: string; dir: string; config: EdgeConfigInput; log: EdgeLog },
  ) {
    this.configPath = path.join(opts.dir, 'haproxy.cfg');
  }

  async start(): Promise<void> {
    const version = haproxyVersion(this.opts.bin);
    fs.mkdirSync(this.opts.dir, { recursive: true });
    fs.writeFileSync(this.configPath, renderHaproxyConfig(this.opts.config));
    const check = spawnSync(this.opts.bin, ['-c', '-q', '-f', this.configPath], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`HAProxy refused the edge's configuration ${this.configPath}: ${check.stderr.trim() || check.stdout.trim()}`);
    this.spawn();
    try {
      await this.waitListening();
    } catch (err) {
      this.stopping = true;
      this.child?.kill('SIGKILL');
      throw err;
    }
    this.opts.log.info({ version, listen: `${this.opts.config.listen.host}:${this.opts.config.listen.port}`, maxInFlight: this.opts.config.maxInFlight, queue: this.opts.config.queue, threads: this.opts.config.threads }, 'gateway edge (HAProxy) listening');
  }

  /** Soft stop (SIGUSR1: stop accepting, finish what is in flight), then SIGTERM after a grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGUSR1');
    const timer = setTimeout(() => child.kill('SIGTERM'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  async stats(): Promise<EdgeStats> {
    return edgeStatsFrom(parseShowStat(await askStatsSocket(this.opts.config.statsSocket, 'show stat')));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private spawn(): void {
    const args = ['-db', '-f', this.configPath];
    const setpriv = spawnSync('setpriv', ['--version']).status === 0;
    const child = setpriv ? spawn('setpriv', ['--pdeathsig', 'SIGTERM', '--', this.opts.bin, ...args], { stdio: ['ignore', 'inherit', 'inherit'] }) : spawn(this.opts.bin, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    const startedAt = Date.now();
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const healthy = Date.now() - startedAt >= 10_000;
      if (healthy) this.crashes.reset();
      const restartInMs = healthy ? 0 : this.crashes.next();
      this.opts.log.error({ code, signal, restartInMs }, 'gateway edge (HAProxy) exited; starting it again');
      setTimeout(() => {
        if (!this.stopping) this.spawn();
      }, restartInMs);
    });
  }

  private async waitListening(): Promise<void> {
    const { host, port } = this.opts.config.listen;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const child = this.child;
      if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`HAProxy exited while starting (code ${child.exitCode}, signal ${child.signalCode}); its messages are above`);
      const open = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host, port }, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (open) return;
      if (Date.now() > deadline) throw new Error(`HAProxy did not listen on ${host}:${port} within ${READY_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
