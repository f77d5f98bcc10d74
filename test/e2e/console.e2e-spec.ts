import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { LOCAL_DEV_API_KEY } from '@phoenix/config';
import { createEnvelope } from '@phoenix/contracts';
import { testContext } from '../support/context';
import { ROOT } from '../support/cli';
import { testKafka } from '../support/topics';
import { waitFor } from '../support/wait';

const PORT = 18090;
const BASE = `http://127.0.0.1:${PORT}`;
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'docs', 'console');

/**
 * The console in a real browser (Debian's Chromium driven by playwright-core) against a running
 * Phoenix (`node dist/apps/standalone`, every app in one process, on the shared local stack).
 */
describe('console in Chromium', () => {
  let child: ChildProcess;
  let log = '';
  let browser: BrowserContext;
  let page: Page;
  let userDir: string;

  const axe = async (name: string) => {
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    // Run in the page (a string, so this spec needs no DOM types).
    const result = (await page.evaluate(`axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`)) as { id: string; impact: string; targets: string[] }[];
    expect({ page: name, serious: result.filter((v) => v.impact === 'serious' || v.impact === 'critical') }).toEqual({ page: name, serious: [] });
  };
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });

  const instance = `console-${Date.now()}`;

  beforeAll(async () => {
    // The memory-writer's new group would start at the beginning of every topic it reads, and the
    // suites before this one (the soak) leave tens of thousands of events there, each to embed:
    // start it at the end, as a deployment that has been running would be.
    await startGroupAtEnd(`${instance}-memory-writer`);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-console-'));
    child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/standalone/src/main.js')], {
      cwd: ROOT,
      detached: true,
      env: { ...process.env, PHOENIX_STACK: 'off', GATEWAY_PORT: String(PORT), HEALTH_PORT: '19474', PHOENIX_MEMORY_MCP_URL: 'http://127.0.0.1:19474/mcp/memory', PHOENIX_WAREHOUSE_MCP_URL: 'http://127.0.0.1:19474/mcp/warehouse', PHOENIX_DATA_DIR: dataDir, PHOENIX_INSTANCE: instance, CONSOLE_LOOKBACK: '200' },
    });
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    await waitFor('the console URL to be printed', () => log.includes(`${BASE}/console/`) || child.exitCode !== null, 180000);
    expect(child.exitCode).toBeNull();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-chromium-'));
    // A fresh profile directory each run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(userDir, { executablePath: CHROMIUM, headless: true, viewport: { width: 1360, height: 900 }, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    page = browser.pages()[0] ?? (await browser.newPage());
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    await waitFor('standalone to exit', () => child.exitCode !== null || child.signalCode !== null, 30000).catch(() => process.kill(-child.pid!, 'SIGKILL'));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('refuses a wrong key with the API error, then signs in with the right one', async () => {
    await page.goto(`${BASE}/console`);
    await page.getByLabel('API key').fill('not-a-key-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitFor('the 401 to show', async () => /401 UNAUTHENTICATED/.test((await page.locator('.login .status').textContent()) ?? ''), 10000);
    await axe('login');
    await page.getByLabel('API key').fill(LOCAL_DEV_API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await waitFor('readiness and lag plots', async () => (await page.locator('.badge[data-ready="up"]').count()) > 0 && (await page.locator('svg.chart').count()) >= 2, 30000);
    await axe('overview');
    await shot('overview');
  });

  it('publishes from the form, sees the event arrive in live tail, and follows its lineage to the MCP result', async () => {
    await page.goto(`${BASE}/console/#/topics/events.app`);
    await page.locator('.badge', { hasText: 'live' }).waitFor({ timeout: 30000 });
    await page.getByLabel('Type', { exact: true }).first().fill('demo.echo');
    await page.getByLabel('Payload (JSON)').fill('{"text":"hello from the console"}');
    // Bad input first: the API's error is shown.
    await page.getByLabel('Topic').selectOption('cdc.hubspot.deals');
    await page.getByRole('button', { name: 'Publish' }).click();
    await waitFor('the schema violations to show', async () => /400 EVENT_INVALID|400 BAD_REQUEST/.test((await page.locator('form >> .status').first().textContent()) ?? ''), 10000);
    await page.getByLabel('Topic').selectOption('events.app');
    await page.getByRole('button', { name: 'Publish' }).click();
    const status = page.locator('[data-event-id]').first();
    await status.waitFor({ timeout: 10000 });
    const id = (await page.locator('p.status[data-event-id]').getAttribute('data-event-id'))!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await page.locator(`.row[data-event-id="${id}"]`).waitFor({ timeout: 15000 });
    await page.locator(`.row[data-event-id="${id}"]`).click();
    expect(await page.locator('pre.detail').textContent()).toContain('hello from the console');
    await axe('topics');
    await shot('topics');

    await page.getByRole('link', { name: 'Open lineage' }).click();
    await page.locator('.tree li[data-topic="mcp.results"]').waitFor({ timeout: 30000 });
    expect(await page.locator('.tree li[data-topic^="mcp.commands."]').count()).toBeGreaterThan(0);
    // The stores: the event's warehouse row (the memory-writer committed past it) and its memory.
    await page.locator('.tree li[data-topic="events.app"] [data-warehouse="stored"]').first().waitFor({ timeout: 60000 });
    await waitFor('the memory in the lineage', async () => /Memories: added /.test((await page.locator('p.stores').textContent()) ?? ''), 60000);
    await axe('lineage');
    await shot('lineage');
  });

  it('thumbs-down on an assistant message becomes a feedback memory found by search', async () => {
    await page.goto(`${BASE}/console/#/conversations`);
    await page.locator('.badge', { hasText: 'live' }).waitFor({ timeout: 30000 });
    const conv = `conv-${Date.now()}`;
    await page.getByLabel('Conversation').fill(conv);
    await page.getByLabel('Role').selectOption('user');
    await page.getByLabel('User').fill('console-user');
    await page.getByLabel('Message', { exact: true }).fill('How long is the refund window?');
    await page.getByRole('button', { name: 'Record message' }).click();
    await page.locator('.msg.user', { hasText: conv }).waitFor({ timeout: 15000 });
    await page.getByLabel('Role').selectOption('assistant');
    await page.getByLabel('User').fill('console-user');
    await page.getByLabel('Message', { exact: true }).fill('The refund window is 30 days.');
    await page.getByRole('button', { name: 'Record message' }).click();
    const msg = page.locator('.msg.assistant', { hasText: conv });
    await msg.waitFor({ timeout: 15000 });
    await msg.getByRole('button', { name: 'Thumbs down' }).click();
    await waitFor('feedback recorded', async () => /Feedback recorded/.test((await page.locator('p.status').first().textContent()) ?? ''), 10000);
    await msg.getByLabel('Suggested correction').fill('The refund window is 14 days.');
    await msg.getByRole('button', { name: 'Send correction' }).click();
    await waitFor('correction recorded', async () => /Feedback recorded/.test((await page.locator('p.status').first().textContent()) ?? ''), 10000);
    // The preference dataset, built from the bus, holds the correction as a pair; its download has it too.
    await waitFor('the correction in the dataset', async () => {
      await page.getByRole('button', { name: 'Build preference dataset' }).click();
      await page.locator('a[download="preference_pairs.jsonl"]').waitFor({ timeout: 30000 });
      const href = (await page.locator('a[download="preference_pairs.jsonl"]').getAttribute('href'))!;
      const jsonl = (await page.evaluate(`fetch(${JSON.stringify(href)}).then((r) => r.text())`)) as string;
      return jsonl.split('\n').some((l) => l.includes(conv) && l.includes('"chosen":"The refund window is 14 days."') && l.includes('"prompt":"How long is the refund window?"'));
    }, 30000);
    await axe('conversations');
    await shot('conversations');

    await page.goto(`${BASE}/console/#/memory`);
    await page.getByLabel('User').fill('console-user');
    await page.getByLabel('Search').fill('thumbs down feedback on the refund answer');
    await waitFor('the feedback memory', async () => {
      await page.getByRole('button', { name: 'Search memory' }).click();
      await page.waitForTimeout(500);
      const texts = await page.locator('.hits li').allTextContents();
      return texts.some((t) => /interactions\.feedback/.test(t) && /down/i.test(t));
    }, 120000);
    await axe('memory');
    await shot('memory');
  });

  it("shows an entity's memories and forgets the entity: memories gone, deletions in its lineage", async () => {
    const key = `forget-${Date.now()}`;
    const res = await fetch(`${BASE}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${LOCAL_DEV_API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ topic: 'events.app', type: 'note.added', key, payload: { text: 'Carla asked to close her account' } }) });
    expect(res.status).toBe(201);
    await page.goto(`${BASE}/console/#/memory`);
    await page.getByLabel('Entity topic').fill('events.app');
    await page.getByLabel('Entity key').fill(key);
    await waitFor('the entity memory', async () => {
      await page.getByRole('button', { name: "Show the entity's memories" }).click();
      await page.waitForTimeout(500);
      return (await page.locator('.entity-memories').getAttribute('data-count')) === '1';
    }, 120000);
    await page.getByRole('button', { name: 'Forget this entity…' }).click();
    await axe('memory-entity');
    await page.getByRole('button', { name: 'Confirm: forget it' }).click();
    await waitFor('the entity forgotten', async () => /is forgotten: no memories left/.test((await page.locator('.entity-memories').locator('xpath=..').locator('p.status').textContent()) ?? ''), 120000);
    await page.locator('#h-entity').evaluate('(el) => el.scrollIntoView({ block: "start" })');
    await shot('memory-forget');
    await page.getByRole('link', { name: 'See the deletions' }).click();
    await page.locator('.tree li[data-type="memory.deleted"]').waitFor({ timeout: 30000 });
  });

  it('redrives a dead letter from the page and shows its outcome: the copy is routed and the MCP result follows', async () => {
    // A dead letter as a consumer leaves one (the original bytes, reason headers), for an event that
    // fails no more: a demo.echo whose first delivery exhausted its retries.
    const ctx = testContext('console-e2e');
    try {
      const event = createEnvelope({ type: 'demo.echo', source: 'console-e2e', key: 'dl-1', payload: { text: 'back from the dead' } });
      const value = await ctx.bus.codec.encode('events.app', event);
      await ctx.bus.producer.publishRaw('events.app.dlq', { key: 'dl-1', value, headers: { 'phoenix-original-topic': 'events.app', 'phoenix-original-partition': '0', 'phoenix-original-offset': '0', 'phoenix-error-code': 'MCP_UNAVAILABLE', 'phoenix-error-kind': 'exhausted', 'phoenix-attempt': '5' } });
      await page.goto(`${BASE}/console/#/dlq/events.app.dlq`);
      const row = page.locator('tr[data-position]', { hasText: 'MCP_UNAVAILABLE' }).first();
      await row.waitFor({ timeout: 30000 });
      await row.getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Redrive selected' }).click();
      await waitFor('the redrive answer', async () => /Redriven 1, failed 0/.test((await page.locator('p.status').first().textContent()) ?? ''), 10000);
      await waitFor('the row marked redriven', async () => /→ events\.app/.test((await row.locator('.redriven').textContent()) ?? ''), 30000);
      await row.getByRole('link', { name: 'outcome' }).click();
      await page.locator('.tree li[data-topic="mcp.results"]').waitFor({ timeout: 30000 });
      await axe('dead-letters');
      await shot('dead-letters');
    } finally {
      await ctx.close();
    }
  });

  it('shows the active rules with their hits, dry-runs an event and a pasted rule, and shows a bad rule\'s error', async () => {
    await page.goto(`${BASE}/console/#/routes`);
    // The publish above matched demo-echo; routers report every 5 s.
    const echo = page.locator('tr[data-rule="demo-echo"]');
    await waitFor('demo-echo to show hits', async () => Number((await echo.locator('.hits').textContent().catch(() => '0')) ?? '0') >= 1, 30000);
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.locator('li[data-rule="demo-echo"]', { hasText: 'matches' }).waitFor({ timeout: 10000 });
    expect(await page.locator('li[data-rule="demo-echo"] summary').first().textContent()).toContain('mcp → mcp.commands.everything (emitted)');
    expect(await page.locator('li[data-rule="deal-won-analysis"]').textContent()).toContain('does not match: topic events.app is not one of cdc.hubspot.deals');
    await axe('routes');
    await shot('routes');
    // A pasted rule is checked as the router checks its file.
    await page.getByLabel(/Rule to try/).fill('name: try-me\nmatch: { topics: events.app }\nemit: [{ mcp: { server: nowhere, tool: t } }]');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await waitFor('the rule error', async () => /422 RULE_INVALID.*MCP server "nowhere" is not configured/s.test((await page.locator('.dry-run-results').locator('xpath=..').locator('p.status').textContent()) ?? ''), 10000);
    await page.getByLabel(/Rule to try/).fill('name: try-me\nmatch: { topics: events.app, types: demo.* }\nemit: [{ topic: { name: events.agent, type: demo.copied } }]');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.locator('li[data-rule="try-me"]', { hasText: 'matches' }).waitFor({ timeout: 10000 });
  });

  it('starts a playbook task from the page and watches its plan graph complete step by step', async () => {
    await page.goto(`${BASE}/console/#/tasks`);
    await page.getByLabel('Goal').fill('echo probe from the console');
    await page.getByLabel('Playbook').fill('echo_probe');
    await page.getByLabel('Inputs (JSON)').fill('{"a": 19, "b": 23}');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.locator('.task-status', { hasText: 'succeeded' }).waitFor({ timeout: 90000 });
    for (const step of ['echo', 'sum', 'summary']) expect(await page.locator(`svg.plan-graph g[data-step="${step}"]`).getAttribute('data-status')).toBe('ok');
    expect(await page.locator('svg.plan-graph line.edge').count()).toBe(2);
    await page.locator('ol.steps li[data-step="sum"] summary').click();
    expect(await page.locator('ol.steps li[data-step="sum"] pre').textContent()).toContain('42');
    await axe('task');
    await shot('task');
  });

  it('shows the tasks and MCP servers pages without accessibility violations', async () => {
    for (const [hash, heading, name] of [['#/tasks', 'Tasks', 'tasks'], ['#/mcp', 'MCP servers', 'mcp']] as const) {
      await page.goto(`${BASE}/console/${hash}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.waitForTimeout(1500);
      await axe(name);
      await shot(name);
    }
    expect(await page.locator('section[aria-label^="Server "]').count()).toBeGreaterThan(0);
  });
  // Last: what it publishes would queue ahead of anything a later test waits for.
  it("live tail keeps up with P1's load (libs/bus publish, 1 KB events, 2,000 in flight) without blocking the main thread over 200 ms", async () => {
    await page.goto(`${BASE}/console/#/topics/events.app`);
    await page.locator('.badge', { hasText: 'live' }).waitFor({ timeout: 30000 });
    await page.evaluate(`window.longest = 0; new PerformanceObserver((l) => l.getEntries().forEach((e) => (window.longest = Math.max(window.longest, e.duration)))).observe({ type: 'longtask' })`);
    // The instrument first: a 150 ms busy loop in a page task must show as a long task (one run by
    // page.evaluate itself is not a page task and is not reported).
    await page.evaluate('setTimeout(() => { const t = Date.now(); while (Date.now() - t < 150) {} }, 0)');
    await waitFor('the long-task observer to see the busy loop', async () => ((await page.evaluate('window.longest')) as number) >= 140, 5000);
    await page.evaluate('window.longest = 0');
    const count = page.locator('.toolbar .muted');
    const seen = async () => Number((await count.getAttribute('data-received')) ?? 0) + Number((await count.getAttribute('data-skipped')) ?? 0);
    const before = await seen();
    const ctx = testContext('console-e2e-load');
    const filler = 'x'.repeat(900);
    let published = 0;
    let maxAge = 0;
    const started = Date.now();
    const sampler = setInterval(() => {
      void count.getAttribute('data-newest').then((n) => {
        // How far the tail is behind the load: since its newest event, or since the load began if it shows none of it yet.
        if (published > 0) maxAge = Math.max(maxAge, Date.now() - Math.max(Number(n), started));
      }, () => undefined);
    }, 250);
    try {
      // The P1 measure's publish pattern: per-event publish() with at most 2,000 unacknowledged, for 10 s.
      let inflight = 0;
      let wake: (() => void) | null = null;
      let failed: Error | null = null;
      const done = () => {
        inflight--;
        const w = wake;
        wake = null;
        w?.();
      };
      while (Date.now() - started < 10_000 && !failed) {
        while (inflight >= 2000) await new Promise<void>((r) => (wake = r));
        inflight++;
        const i = published++;
        ctx.bus.producer.publish('events.app', createEnvelope({ type: 'load.tick', source: 'console-e2e', key: `k-${i % 1000}`, payload: { seq: i, note: filler } })).then(done, (err: Error) => ((failed ??= err), done()));
      }
      while (inflight > 0) await new Promise<void>((r) => (wake = r));
      if (failed) throw failed;
      const rate = Math.round(published / ((Date.now() - started) / 1000));
      const drained = Date.now();
      await waitFor('every published event received or counted as skipped', async () => (await seen()) >= before + published, 60000);
      const tailDone = Date.now() - drained;
      clearInterval(sampler);
      const longest = (await page.evaluate('window.longest')) as number;
      const received = Number(await count.getAttribute('data-received'));
      // Logged for the README's figure.
      process.stdout.write(`console live tail under P1 load: ${published} events at ${rate}/s; ${received} shown, the rest counted; newest event at most ${maxAge} ms old while loading; tail complete ${tailDone} ms after the last ack; longest task ${longest} ms\n`);
      expect(longest).toBeLessThanOrEqual(200);
      expect(maxAge).toBeLessThan(8000);
      expect(tailDone).toBeLessThan(5000);
      expect(received).toBeGreaterThan(0);
    } finally {
      clearInterval(sampler);
      await ctx.close();
      // Later suites' new groups start at the beginning of events.app: leave them none of this load.
      const admin = testKafka().admin();
      await admin.connect();
      const ends = (await admin.fetchTopicOffsets('events.app')).map((o) => ({ partition: o.partition, offset: o.high }));
      await admin.deleteTopicRecords({ topic: 'events.app', partitions: ends }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 180000);
});

/** Commits the group's offsets at the current end of the main topics the memory-writer reads (the group has no members yet). */
async function startGroupAtEnd(groupId: string): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const read = /^(events\.|cdc\.|interactions\.|mcp\.results$|supervisor\.outcomes$|n8n\.responses$|memory\.requests$)/;
    const topics = (await admin.listTopics()).filter((t) => read.test(t) && !/\.(retry|dlq)$/.test(t));
    for (const topic of topics) {
      const partitions = (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, offset: o.high }));
      if (partitions.some((p) => p.offset !== '0')) await admin.setOffsets({ groupId, topic, partitions });
    }
  } finally {
    await admin.disconnect();
  }
}
