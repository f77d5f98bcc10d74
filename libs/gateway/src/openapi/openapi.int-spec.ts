import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../../test/support/context';
import { servedRoutes } from '../../../../test/support/routes';
import { venvBin } from '../../../../test/setup/test-tools';
import { createGatewayApp } from '../gateway.app';

const ROOT = path.resolve(__dirname, '../../../..');
const KEY = 'openapi-spec-key-0123456789';
type Doc = { paths: Record<string, Record<string, unknown>> };

describe('gateway HTTP contract (/openapi.json)', () => {
  let ctx: AppContext;
  let app: INestApplication;
  let base: string;
  let doc: Doc;

  beforeAll(async () => {
    // The fuzzer's key may publish to events.* only: its random events stay off the topics other
    // specs and the fleet read as state (capabilities, tasks, interactions); others answer 403.
    ctx = testContext('openapi-test', { PHOENIX_API_KEYS: `${KEY}=events.*` });
    app = await createGatewayApp(ctx, { ownsContext: true });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    doc = (await (await fetch(`${base}/openapi.json`)).json()) as Doc;
  });

  afterAll(async () => {
    await app.close();
  });

  it('documents every route the gateway serves, and nothing it does not', () => {
    const served = [...new Set(servedRoutes(app))]; // route-level middleware repeats a route
    expect(served.length).toBeGreaterThanOrEqual(12);
    const documented = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).filter((k) => k !== 'parameters').map((m) => `${m.toUpperCase()} ${p}`));
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it('answers 405 with Allow for a method a documented path does not have, 404 for an unknown path', async () => {
    const res = await fetch(`${base}/v1/topics`, { method: 'DELETE', headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
    const mcp = await fetch(`${base}/mcp`, { method: 'GET', headers: { authorization: `Bearer ${KEY}` } });
    expect(mcp.status).toBe(405);
    expect(mcp.headers.get('allow')).toBe('POST');
    expect((await fetch(`${base}/v1/nothing-here`)).status).toBe(404);
  });

  it('schemathesis (all checks) finds no failure against the served document', async () => {
    // Asynchronously: the gateway under test answers from this same process.
    const run = await promisify(execFile)(
      venvBin('schemathesis'),
      ['--config-file', path.join(ROOT, 'test', 'schemathesis.toml'), 'run', `${base}/openapi.json`, '--checks', 'all', '--max-examples', '25', '--seed', '1', '-H', `Authorization: Bearer ${KEY}`, '--no-color'],
      { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 },
    ).then(
      (r) => ({ status: 0, out: `${r.stdout}\n${r.stderr}` }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ status: e.code ?? -1, out: `${e.stdout}\n${e.stderr}` }),
    );
    if (run.status !== 0) process.stderr.write(run.out);
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).filter((k) => k !== 'parameters').length, 0);
    // schemathesis counts one operation fewer than the document holds (it leaves one out of its
    // total; a filtered run on /openapi.json alone reports x/14): every other one is tested.
    const tested = Number(/Tested: (\d+)/.exec(run.out)?.[1]);
    expect(tested).toBeGreaterThanOrEqual(operations - 1);
    expect(run.out).toMatch(/\d+ generated, \d+ passed/);
    expect(run.status).toBe(0);
    // Its coverage phase alone took 104 s in CI over 28 operations (the dataset route reads two topics per call).
  }, 420_000);
});
