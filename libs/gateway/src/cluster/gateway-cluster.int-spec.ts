import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { childPids, counterSum, request as requestAs } from '../../../../test/support/gateway-process';
import { freePort } from '../../../../test/support/ports';
import { waitFor } from '../../../../test/support/wait';

const ROOT = path.resolve(__dirname, '../../../..');
const KEY = 'test-key-cluster-0123456789';
const request = (port: number, method: string, urlPath: string, body?: unknown) => requestAs(port, method, urlPath, body, KEY);

/** GATEWAY_WORKERS: processes sharing the port, replaced when they die, scraped as one. */
describe('gateway cluster (GATEWAY_WORKERS=2, real Kafka + registry)', () => {
  let primary: ChildProcess;
  let port: number;
  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-gw-cluster-')), 'gateway.log');

  beforeAll(async () => {
    port = await freePort();
    const log = fs.openSync(logFile, 'a');
    primary = spawn(process.execPath, [path.join(ROOT, 'dist/apps/gateway/src/main.js')], {
      cwd: ROOT,
      env: { ...process.env, GATEWAY_WORKERS: '2', GATEWAY_PORT: String(port), PHOENIX_API_KEYS: `${KEY}=*`, PHOENIX_INSTANCE: `gw-cluster-${Date.now()}`, LOG_LEVEL: 'info' },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    await waitFor('two workers', () => (childPids(primary.pid!).length === 2 ? true : undefined), 60_000);
    await waitFor('the gateway to be ready', async () => ((await request(port, 'GET', '/health/ready')).status === 200 ? true : undefined), 60_000);
  });

  afterAll(() => {
    if (primary.exitCode === null) primary.kill('SIGKILL');
  });

  it('answers on one port from two processes, and a scrape counts every worker', async () => {
    const n = 40;
    for (let i = 0; i < n; i++) {
      const r = await request(port, 'POST', '/v1/events', { topic: 'events.app', type: 'cluster.probe', key: `k-${i}`, payload: { i } });
      expect(r.status).toBe(201);
    }
    // Each scrape lands on whichever worker accepts it; every one must report all n publishes.
    for (let i = 0; i < 6; i++) {
      const m = await request(port, 'GET', '/metrics');
      expect(m.status).toBe(200);
      expect(counterSum(m.text, 'phoenix_events_published_total', 'topic="events.app"')).toBe(n);
    }
  });

  it('replaces a worker that is killed, and keeps answering meanwhile', async () => {
    const [victim, survivor] = childPids(primary.pid!);
    process.kill(victim, 'SIGKILL');
    // The survivor holds the port alone until the replacement is up.
    for (let i = 0; i < 5; i++) expect((await request(port, 'GET', '/health/live')).status).toBe(200);
    const pids = await waitFor('a replacement worker', () => {
      const now = childPids(primary.pid!);
      return now.length === 2 && !now.includes(victim) ? now : undefined;
    });
    expect(pids).toContain(survivor);
    await waitFor('the replacement to serve', async () => {
      const m = await request(port, 'GET', '/metrics');
      return m.status === 200 ? true : undefined;
    });
    const r = await request(port, 'POST', '/v1/events', { topic: 'events.app', type: 'cluster.probe', key: 'after-kill', payload: {} });
    expect(r.status).toBe(201);
    expect(fs.readFileSync(logFile, 'utf8')).toMatch(/gateway worker exited; starting another/);
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    const workers = childPids(primary.pid!);
    const exited = new Promise<number | null>((resolve) => primary.once('exit', (code) => resolve(code)));
    primary.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const w of workers) expect(fs.existsSync(`/proc/${w}`)).toBe(false);
  });
});
