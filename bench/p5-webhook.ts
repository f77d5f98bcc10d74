import * as fs from 'node:fs';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { ConsoleFeed } from '@phoenix/console';
import { createGatewayApp } from '@phoenix/gateway';
import { N8nAdmin, n8nFileSchema, readWorkflows } from '@phoenix/n8n';
import { N8N_VERSION, StackManager, stackOptions } from '@phoenix/stack';
import { BenchEnv } from './lib/bench-env';
import { measured } from './lib/cpu';
import { closedLoop, LoadOptions } from './lib/http-load';
import { HttpClient } from './lib/http';
import { log, sleep } from './lib/log';
import { BenchOptions } from './lib/options';
import { ProfileWindow } from './lib/profile';
import { check, MeasureOutput, Rep, series, skippedSeries, target } from './lib/results';

/** The bench's own n8n instance (its own data dir and ports), so nobody else's n8n is touched. */
const N8N_INSTANCE = { name: 'bench-n8n', portOffset: 400 };
const N8N_OWNER = { email: 'phoenix-bench@localhost.dev', password: 'Phoenix-bench-1' };

interface N8nTarget {
  url: string;
  pid?: number;
  stop(): Promise<void>;
}

/** Starts (or reuses) the bench n8n instance when n8n is installed, deploys the webhook → respond workflow. */
async function startN8n(b: BenchEnv): Promise<N8nTarget | string> {
  const so = stackOptions(b.env, N8N_INSTANCE);
  const installed = fs.existsSync(path.join(so.cacheDir, `n8n-${N8N_VERSION}`, '.complete'));
  if (!installed) return `n8n ${N8N_VERSION} is not installed (~/.cache/phoenix/n8n-${N8N_VERSION}); \`npm run stack -- up n8n\` installs it (~1.7 GB), after which the bench measures it`;
  const stack = new StackManager(so, (m) => log(`[n8n] ${m}`));
  const ours = !stack.pid('n8n');
  log(`P5: ${ours ? 'starting' : 'reusing'} n8n ${N8N_VERSION} on port ${so.n8n.port} (instance ${so.name})`);
  await stack.up(['n8n']);
  const baseUrl = `http://127.0.0.1:${so.n8n.port}`;
  const admin = new N8nAdmin(n8nFileSchema.parse({ n8n: { baseUrl, owner: N8N_OWNER }, flows: [] }));
  const workflows = readWorkflows(path.join(b.root, 'bench', 'n8n'));
  await admin.deploy(workflows);
  const url = `${baseUrl}/webhook/${workflows[0].webhooks[0]}`;
  // Webhooks register right after activation; wait for the first 200.
  const client = new HttpClient(baseUrl, 1);
  for (let i = 0; ; i++) {
    const res = await client.post(new URL(url).pathname, '{}', {}).catch(() => ({ status: 0, body: '' }));
    if (res.status === 200) break;
    if (i > 120) throw new Error(`n8n webhook ${url} did not answer 200 (last: ${res.status} ${res.body.slice(0, 200)})`);
    await sleep(500);
  }
  client.close();
  return {
    url,
    pid: stack.pid('n8n'),
    async stop() {
      if (ours) {
        log('P5: stopping the bench n8n instance');
        await stack.down(['n8n']);
      }
    },
  };
}

/**
 * P5: signed inbound webhook → topic on the gateway (HMAC check, nonce window, mapping, schema
 * validation, acks=all publish before 201), closed-loop HTTP load from a worker thread; reported
 * beside n8n's own webhook rate on the same machine with the same load generator.
 */
export async function runP5(b: BenchEnv, o: BenchOptions, profile?: ProfileWindow): Promise<MeasureOutput> {
  const seconds = Math.max(2, Math.round(6 * o.scale));
  const concurrency = Number(b.env.BENCH_P5_CONNECTIONS ?? 64);
  const ctx = b.context('bench-p5');
  await ctx.bus.codec.prepare([b.topics.hook]);
  const gateway: INestApplication = await createGatewayApp(ctx, { ownsContext: false });
  await gateway.listen(0, '127.0.0.1');
  // BENCH_P5_CONSOLE=1: with the console in use (its feed reading every topic in this process).
  if (b.env.BENCH_P5_CONSOLE === '1') {
    const feed = gateway.get(ConsoleFeed);
    feed.touch();
    await waitUntil(() => feed.running && feed.readTopics().length > 0, 60_000);
    await new Promise((r) => setTimeout(r, 5000));
  }
  const base = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
  const load = (url: string, secret: string | undefined, warmupMs: number): LoadOptions => ({ url, concurrency, warmupMs, durationMs: seconds * 1000, bodyBytes: 1024, secret });
  const phoenixUrl = `${base}/v1/webhooks/n8n/bench`;
  const watch = b.watchedPids();
  let n8n: N8nTarget | string = 'not measured (--n8n off)';
  try {
    // Warm-up (JIT, producer connection, schema cache); also checks the answers are 201.
    const w = await closedLoop({ ...load(phoenixUrl, b.webhookSecret, 0), durationMs: 3000 });
    if (!w.statuses['201']) throw new Error(`webhook warm-up got no 201: ${JSON.stringify(w.statuses)}`);

    if (profile) {
      profile.start();
      await closedLoop(load(phoenixUrl, b.webhookSecret, 500));
      profile.end();
      return { series: [], targets: [] };
    }

    if (o.n8n === 'auto') {
      try {
        const started = await startN8n(b);
        n8n = started;
        // n8n's first executions are slow (lazy loading); give it the same warm-up as Phoenix.
        if (typeof started !== 'string') await closedLoop({ ...load(started.url, undefined, 0), durationMs: 3000 });
      } catch (err) {
        n8n = `not measured: n8n did not start or deploy (${(err as Error).message.split('\n')[0]})`;
        log(`P5: ${n8n}`);
      }
    }
    const reps: Record<'n8n' | 'p5', Rep[]> = { n8n: [], p5: [] };
    for (let r = 1; r <= o.reps; r++) {
      if (typeof n8n !== 'string') {
        const nr = await measured({ ...watch, n8n: (n8n as N8nTarget).pid }, () => closedLoop(load((n8n as N8nTarget).url, undefined, 1000)));
        reps.n8n.push({ value: nr.result.perSecond, cpu: nr.cpu, detail: { completed: nr.result.completed, errors: nr.result.errors, p50: nr.result.p50Ms, p99: nr.result.p99Ms, statuses: JSON.stringify(nr.result.statuses) } });
        log(`P5 rep ${r}: n8n webhook ${Math.round(nr.result.perSecond)} req/s`);
      }
      const pr = await measured(watch, () => closedLoop(load(phoenixUrl, b.webhookSecret, 1000)));
      if (pr.result.errors || Object.keys(pr.result.statuses).some((s) => s !== '201')) log(`P5 rep ${r}: unexpected answers ${JSON.stringify(pr.result.statuses)}, ${pr.result.errors} errors`);
      reps.p5.push({ value: pr.result.perSecond, cpu: pr.cpu, detail: { completed: pr.result.completed, errors: pr.result.errors, p50: pr.result.p50Ms, p99: pr.result.p99Ms, statuses: JSON.stringify(pr.result.statuses) } });
      log(`P5 rep ${r}: Phoenix signed webhook ${Math.round(pr.result.perSecond)} req/s`);
    }
    const s = {
      n8n:
        typeof n8n === 'string'
          ? skippedSeries('B-n8n', "n8n 2.0.0's own webhook (Webhook → Respond to Webhook)", 'req/s', true, n8n)
          : series('B-n8n', `n8n ${N8N_VERSION} webhook (Webhook → Respond to Webhook), same load generator`, 'req/s', true, reps.n8n),
      p5: series('P5', 'gateway POST /v1/webhooks/n8n/<flow>: HMAC verify → event → acks=all publish → 201', 'req/s', true, reps.p5),
    };
    const t = target('P5', 'inbound webhook → topic (HTTP, signed) req/s, beside n8n', 'P5', ['B-n8n'], [check('P5 / n8n webhook', s.p5.median / s.n8n.median, '>=', 20, 'x')], [
      `Closed loop, ${concurrency} keep-alive connections from a worker thread in the bench process, ${seconds} s per repetition after 1 s warm-up; ~1 KB JSON bodies, each signed (HMAC-SHA256) with a unique nonce.`,
      typeof n8n === 'string' ? `n8n: ${n8n}.` : 'n8n runs the least a webhook can do (no signature check, no durable write); Phoenix verifies the signature and publishes durably before answering.',
    ]);
    return { series: [s.n8n, s.p5], targets: [t] };
  } finally {
    if (typeof n8n !== 'string') await n8n.stop().catch((err: Error) => log(`P5: stopping n8n failed: ${err.message}`));
    await gateway.close();
    await b.closeContext(ctx);
  }
}

async function waitUntil(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('the console feed did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
}
