import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { phoenixAsync, ROOT } from '../support/cli';
import { venvBin } from '../setup/test-tools';
import { waitFor } from '../support/wait';

/**
 * README Quick start, as written: `npm start` brings the stack up (reused here), runs every app
 * in one process and prints a curl line; that curl publishes; `phoenix tail` shows the event
 * decoded; an independent client decodes it through the registry.
 */
describe('quick start: npm start', () => {
  let child: ChildProcess;
  let stdout = '';
  let stderr = '';

  beforeAll(() => {
    // Other ports, data dir and consumer groups than a developer's own `npm start`.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-quickstart-'));
    const env = {
      ...process.env,
      GATEWAY_PORT: '18080',
      HEALTH_PORT: '19464',
      PHOENIX_MEMORY_MCP_URL: 'http://127.0.0.1:19464/mcp/memory',
      PHOENIX_WAREHOUSE_MCP_URL: 'http://127.0.0.1:19464/mcp/warehouse',
      PHOENIX_DATA_DIR: dataDir,
      PHOENIX_INSTANCE: `quickstart-${Date.now()}`,
    };
    child = spawn('npm', ['start'], { cwd: ROOT, env, detached: true });
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
  });

  const running = () => child.exitCode === null && child.signalCode === null;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
  };

  afterAll(async () => {
    if (!running()) return;
    signal('SIGTERM');
    await waitFor('standalone to exit', () => !running(), 30000).catch(() => signal('SIGKILL'));
  });

  it('prints a curl line that publishes an event, which tail and an independent client decode', async () => {
    await waitFor('the printed curl line', () => stdout.includes('Try it:') || child.exitCode !== null, 180000);
    expect(child.exitCode).toBeNull();
    const lines = stdout.split('\n');
    const start = lines.findIndex((l) => l.trim().startsWith('curl '));
    expect(start).toBeGreaterThan(-1);
    const curl = [lines[start].replace(/\\\s*$/, ''), lines[start + 1]].join(' ');
    expect(curl).toContain('http://127.0.0.1:18080/v1/events');

    const res = spawnSync('bash', ['-c', curl], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    const receipt = JSON.parse(res.stdout) as { id: string; topic: string; partition: number; offset: string };
    expect(receipt.topic).toBe('events.app');

    const tail = await phoenixAsync(['tail', 'events.app', '--from-beginning', '--json', '--timeout', '5000']);
    const match = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event?: { id: string; payload: unknown } })
      .find((r) => r.event?.id === receipt.id);
    expect(match?.event?.payload).toEqual({ stage: 'closed-won', amount: 1200 });

    const py = spawnSync(venvBin('python'), [path.join(ROOT, 'test', 'interop', 'read_avro.py'), '--brokers', process.env.KAFKA_BROKERS!, '--registry', process.env.SCHEMA_REGISTRY_URL!, '--topic', 'events.app', '--partition', String(receipt.partition), '--offset', receipt.offset], { encoding: 'utf8', timeout: 60000 });
    expect(py.status).toBe(0);
    expect(JSON.parse(py.stdout.split('\n')[0]).event.id).toBe(receipt.id);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    signal('SIGTERM');
    await waitFor('exit', () => !running(), 30000);
    expect(stderr).not.toMatch(/failed to start/);
  });
});
