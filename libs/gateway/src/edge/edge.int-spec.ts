import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { childPids, counterSum, processName, request as requestAs, sampleValue } from '../../../../test/support/gateway-process';
import { freePort } from '../../../../test/support/ports';
import { waitFor } from '../../../../test/support/wait';

const ROOT = path.resolve(__dirname, '../../../..');
const KEY = 'test-key-edge-0123456789';

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

/** A gateway with GATEWAY_EDGE=haproxy: the primary, two workers on a Unix socket, HAProxy on the port. */
async function startGateway(env: Record<string, string>): Promise<{ primary: ChildProcess; port: number; log: string }> {
  const port = await freePort();
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-gw-edge-spec-')), 'gateway.log');
  const fd = fs.openSync(log, 'a');
  const primary = spawn(process.execPath, [path.join(ROOT, 'dist/apps/gateway/src/main.js')], {
    cwd: ROOT,
    env: { ...process.env, GATEWAY_EDGE: 'haproxy', GATEWAY_WORKERS: '2', GATEWAY_PORT: String(port), PHOENIX_API_KEYS: `${KEY}=*`, PHOENIX_INSTANCE: `gw-edge-${Date.now()}`, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  await waitFor('the gateway behind its edge to be ready', async () => (await requestAs(port, 'GET', '/health/ready')).status === 200, 90_000);
  return { primary, port, log };
}

/** GATEWAY_EDGE=haproxy: HAProxy on the gateway's port sheds what the workers cannot take. */
describe('gateway edge (real HAProxy in front of two workers, real Kafka + registry)', () => {
  let gw: { primary: ChildProcess; port: number; log: string };
  const post = (i: number) => requestAs(gw.port, 'POST', '/v1/events', { topic: 'events.app', type: 'edge.probe', key: `k-${i}`, payload: { i } }, KEY);

  beforeAll(async () => {
    // Two at a time to the workers and one waiting: a burst of 60 must be mostly shed at the edge.
    gw = await startGateway({ GATEWAY_EDGE_MAX_IN_FLIGHT: '2', GATEWAY_EDGE_QUEUE: '1' });
  });

  afterAll(() => {
    if (gw?.primary.exitCode === null) gw.primary.kill('SIGKILL');
  });

  it('runs HAProxy and the workers under the primary, and passes requests through unchanged', async () => {
    const names = childPids(gw.primary.pid!).map(processName);
    expect(names.filter((n) => n === 'haproxy')).toHaveLength(1);
    expect(names.filter((n) => n === 'node')).toHaveLength(2);
    const ok = await post(0);
    expect(ok.status).toBe(201);
    expect(JSON.parse(ok.text)).toMatchObject({ topic: 'events.app', id: expect.any(String) });
    // Errors of the workers come through as they were written.
    const bad = await requestAs(gw.port, 'POST', '/v1/events', { topic: 'events.app' }, KEY);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error.code).toBe('BAD_REQUEST');
    expect((await requestAs(gw.port, 'POST', '/v1/events', { topic: 'events.app', type: 't', key: 'k', payload: {} })).status).toBe(401);
  });

  it('sheds a burst over its bound with 429, Retry-After and the gateway error body, and counts it', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => post(100 + i)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 201 || s === 429)).toBe(true);
    const shed = answers.filter((a) => a.status === 429);
    expect(shed.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(3);
    for (const s of shed) {
      expect(s.headers['retry-after']).toBe('1');
      expect(s.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(s.text).error.code).toBe('OVERLOADED');
    }
    const metrics = (await requestAs(gw.port, 'GET', '/metrics')).text;
    expect(sampleValue(metrics, 'phoenix_gateway_edge_up')).toBe(1);
    // Every 429 came from the edge: the workers never saw more than the edge let through.
    expect(sampleValue(metrics, 'phoenix_gateway_edge_shed_total')).toBe(shed.length);
    expect(counterSum(metrics, 'phoenix_http_shed_total', 'app="gateway"')).toBe(0);
    // Non-publish routes are not bounded: a health check during a burst is answered by a worker.
    const [health] = await Promise.all([requestAs(gw.port, 'GET', '/health/live'), ...Array.from({ length: 20 }, (_, i) => post(200 + i))]);
    expect(health.status).toBe(200);
  });

  it('stops the edge and the workers on SIGTERM, exits 0 and frees the port', async () => {
    const children = childPids(gw.primary.pid!);
    const exited = new Promise<number | null>((resolve) => gw.primary.once('exit', (code) => resolve(code)));
    gw.primary.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const c of children) expect(fs.existsSync(`/proc/${c}`)).toBe(false);
    expect(await portOpen(gw.port)).toBe(false);
    expect(fs.readFileSync(gw.log, 'utf8')).toMatch(/gateway edge \(HAProxy\) listening/);
  });

  it('frees the port when the primary is killed (HAProxy gets SIGTERM from the kernel)', async () => {
    const other = await startGateway({});
    const edgePid = childPids(other.primary.pid!).find((p) => processName(p) === 'haproxy')!;
    expect(edgePid).toBeDefined();
    other.primary.kill('SIGKILL');
    await waitFor('HAProxy to exit after its parent', () => processName(edgePid) === undefined, 15_000);
    await waitFor('the port to be free', async () => !(await portOpen(other.port)), 15_000);
  });
});
