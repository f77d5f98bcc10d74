import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { LOCAL_DEV_API_KEY } from '@phoenix/config';
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

  let env: NodeJS.ProcessEnv;

  const launch = () => {
    stdout = '';
    stderr = '';
    child = spawn('npm', ['start'], { cwd: ROOT, env, detached: true });
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
  };

  beforeAll(() => {
    // Other ports, data dir and consumer groups than a developer's own `npm start`.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-quickstart-'));
    env = {
      ...process.env,
      GATEWAY_PORT: '18080',
      HEALTH_PORT: '19464',
      PHOENIX_MEMORY_MCP_URL: 'http://127.0.0.1:19464/mcp/memory',
      PHOENIX_WAREHOUSE_MCP_URL: 'http://127.0.0.1:19464/mcp/warehouse',
      PHOENIX_DATA_DIR: dataDir,
      PHOENIX_INSTANCE: `quickstart-${Date.now()}`,
    };
    launch();
  });

  /** npm or any process it started (the group) is still alive: npm can exit before its child has. */
  const running = () => {
    if (child.exitCode === null && child.signalCode === null) return true;
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
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
    // npm itself dies of the signal; the app says so once it closed every part (and exits 0).
    expect(stdout).toContain('Phoenix stopped.');
    expect(stderr).not.toMatch(/shutdown failed/);
  });

  it('started twice more, leaves no new consumer groups behind', async () => {
    const admin = new Kafka({ clientId: 'quickstart-groups', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const groups = async () => new Set((await admin.listGroups()).groups.map((g) => g.groupId));
    const isView = (g: string) => g.startsWith('phoenix-view-');
    try {
      const afterFirst = await groups();
      const views: Set<string>[] = [];
      for (let run = 0; run < 2; run++) {
        launch();
        await waitFor('the printed curl line', () => stdout.includes('Try it:') || child.exitCode !== null, 180000);
        expect({ exit: child.exitCode, stderr: child.exitCode === null ? '' : stderr.slice(-2000) }).toEqual({ exit: null, stderr: '' });
        // A request that needs the gateway's read views, so they run (and hold groups) too.
        const caps = await fetch('http://127.0.0.1:18080/v1/capabilities', { headers: { authorization: `Bearer ${LOCAL_DEV_API_KEY}` } });
        expect(caps.status).toBe(200);
        const live = await groups();
        // The apps' own groups are the ones the first run made; read views come and go with the process.
        expect([...live].filter((g) => !isView(g) && !afterFirst.has(g))).toEqual([]);
        views.push(new Set([...live].filter(isView)));
        signal('SIGTERM');
        await waitFor('exit', () => !running(), 30000);
        expect(stderr).not.toMatch(/failed to start/);
      }
      const afterAll = await groups();
      expect([...afterAll].filter((g) => !isView(g) && !afterFirst.has(g))).toEqual([]);
      // No view group of either run is left once its process stopped.
      for (const run of views) expect([...run].filter((g) => afterAll.has(g))).toEqual([]);
      expect(views[0].size).toBeGreaterThan(0);
    } finally {
      await admin.disconnect();
    }
  });
});
