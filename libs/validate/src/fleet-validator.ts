import * as fs from 'node:fs';
import * as https from 'node:https';
import type { Admin } from 'kafkajs';
import { ServerCapabilities, TopicCatalogue } from '@phoenix/contracts';
import { DeploymentConfig } from './deployment.config';
import { judgeMcpFleet, McpServerReport, parseMcpCallMetrics, ProbedServer, RegistryRead, WorkerObservation } from './mcp-fleet';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  check: 'ready' | 'capabilities' | 'mcp-server' | 'mcp-registry' | 'mcp-calls' | 'lag' | 'dlq' | 'discovery';
  target: string;
  status: CheckStatus;
  detail: string;
}

export interface AppTarget {
  name: string;
  url: string;
}

/** `phoenix validate --json`; `version` changes only when a field changes meaning or goes away. */
export interface FleetReport {
  version: 1;
  healthy: boolean;
  checkedAt: string;
  instance: string;
  results: CheckResult[];
  /** The MCP fleet, one entry per server, sorted by name. */
  servers: McpServerReport[];
}

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The label the Helm chart puts on each mcp-worker's Service: the MCP server it serves. */
export const MCP_SERVER_LABEL = 'phoenix.io/mcp-server';

type HealthBody = { status?: string; app?: string; checks?: Record<string, { status: string; detail?: string }> };
type Capabilities = { servers?: { server: string; status: string; tools?: unknown[] }[] };

async function getJson<T>(url: string, timeoutMs: number, init: RequestInit = {}): Promise<{ status: number; body: T | null }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: T | null = null;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = null;
  }
  return { status: res.status, body };
}

function httpsJson<T>(url: string, headers: Record<string, string>, ca: Buffer, timeoutMs: number): Promise<{ status: number; body: T | null }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { headers, ca, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: null });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

function reason(err: unknown): string {
  const e = err as Error;
  return e?.cause ? `${e.message}: ${(e.cause as Error).message}` : (e?.message ?? String(err));
}

/**
 * Checks a deployed Phoenix: every app's readiness (and MCP workers' servers), consumer lag per
 * group of the instance, and dead letters per DLQ topic. Pure reads; safe against production.
 */
export class FleetValidator {
  constructor(
    private readonly cfg: DeploymentConfig,
    private readonly deps: {
      admin: () => Promise<Admin>;
      catalogue: TopicCatalogue;
      instance: string;
      timeoutMs?: number;
      /** For in-cluster discovery (KUBERNETES_SERVICE_HOST/PORT). */
      env?: NodeJS.ProcessEnv;
      /** The capability registry (`mcp.capabilities`) as it stands; its checks are skipped without it. */
      capabilities?: () => Promise<ServerCapabilities[]>;
    },
  ) {}

  /** The apps to check: listed ones, plus the Services the Kubernetes API returns. */
  async targets(): Promise<{ apps: AppTarget[]; results: CheckResult[] }> {
    const apps = [...this.cfg.apps];
    const results: CheckResult[] = [];
    const k = this.cfg.kubernetes;
    if (k) {
      try {
        const found = await this.discover(k);
        apps.push(...found);
        results.push({ check: 'discovery', target: `k8s ${k.namespace}`, status: found.length ? 'ok' : 'fail', detail: found.length ? `${found.length} service(s): ${found.map((a) => a.name).join(', ')}` : `no Service matches ${k.labelSelector}` });
      } catch (err) {
        results.push({ check: 'discovery', target: `k8s ${k.namespace}`, status: 'fail', detail: (err as Error).message });
      }
    }
    return { apps, results };
  }

  private async discover(k: NonNullable<DeploymentConfig['kubernetes']>): Promise<AppTarget[]> {
    const env = this.deps.env ?? {};
    const inCluster = !k.apiUrl && env.KUBERNETES_SERVICE_HOST;
    const api = k.apiUrl ?? (inCluster ? `https://${env.KUBERNETES_SERVICE_HOST}:${env.KUBERNETES_SERVICE_PORT ?? 443}` : undefined);
    if (!api) throw new Error('kubernetes discovery needs kubernetes.apiUrl (e.g. `kubectl proxy` at http://127.0.0.1:8001) or to run in a pod');
    const token = k.token ?? (inCluster && fs.existsSync(`${SA}/token`) ? fs.readFileSync(`${SA}/token`, 'utf8').trim() : undefined);
    const ca = inCluster && fs.existsSync(`${SA}/ca.crt`) ? fs.readFileSync(`${SA}/ca.crt`) : undefined;
    const url = `${api.replace(/\/$/, '')}/api/v1/namespaces/${encodeURIComponent(k.namespace)}/services?labelSelector=${encodeURIComponent(k.labelSelector)}`;
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    type ServiceList = { items?: { metadata: { name: string; labels?: Record<string, string> }; spec: { ports?: { name?: string; port: number }[] } }[] };
    // The in-cluster API server's certificate is signed by the service account's CA.
    const { status, body } = ca ? await httpsJson<ServiceList>(url, headers, ca, this.timeout) : await getJson<ServiceList>(url, this.timeout, { headers });
    if (status !== 200 || !body?.items) throw new Error(`Kubernetes API answered ${status} for ${url}`);
    return body.items.flatMap((svc) => {
      const labels = svc.metadata.labels ?? {};
      // MCP servers deployed by the chart do not serve Phoenix's health API: their workers probe them.
      if (labels[k.appLabel] === 'mcp-server') return [];
      const ports = svc.spec.ports ?? [];
      const port = (k.portName ? ports.find((p) => p.name === k.portName) : undefined) ?? ports[0];
      if (!port) return [];
      const app = labels[k.appLabel] ?? svc.metadata.name;
      // One worker Deployment per server: name each after its server, not all "mcp-worker".
      const name = app === 'mcp-worker' && labels[MCP_SERVER_LABEL] ? `mcp-worker.${labels[MCP_SERVER_LABEL]}` : app;
      return [{ name, url: `http://${svc.metadata.name}.${k.namespace}.svc:${port.port}` }];
    });
  }

  private get timeout(): number {
    return this.deps.timeoutMs ?? 3000;
  }

  async run(): Promise<FleetReport> {
    const { apps, results } = await this.targets();
    const [perApp, fleet] = await Promise.all([Promise.all(apps.map((a) => this.checkApp(a))), this.checkMcpFleet(apps)]);
    results.push(...perApp.flat(), ...fleet.results);
    results.push(...(await this.checkKafka()));
    const strict = results.every((r) => r.status !== 'fail');
    return { version: 1, healthy: strict, checkedAt: new Date().toISOString(), instance: this.deps.instance, results, servers: fleet.servers };
  }

  /** Every MCP worker's live probe of its servers and its call metrics, with the registry, judged per server. */
  private async checkMcpFleet(apps: AppTarget[]): Promise<ReturnType<typeof judgeMcpFleet>> {
    const workers = apps.filter((a) => a.name.startsWith('mcp-worker'));
    const mcp = this.cfg.mcp;
    if (!workers.length && !mcp.servers?.length) return { results: [], servers: [] };
    // The worker's probe must answer inside this process's own request timeout.
    const probeMs = Math.max(100, this.timeout - 500);
    const observations = await Promise.all(
      workers.map(async (w): Promise<WorkerObservation> => {
        const base = w.url.replace(/\/$/, '');
        const [probe, metrics] = await Promise.allSettled([
          getJson<{ servers?: ProbedServer[] }>(`${base}/capabilities/probe?timeoutMs=${probeMs}`, this.timeout).then(({ status, body }) => {
            if (status !== 200 || !Array.isArray(body?.servers)) throw new Error(`GET /capabilities/probe answered ${status}`);
            return body.servers;
          }),
          fetch(`${base}/metrics`, { signal: AbortSignal.timeout(this.timeout) }).then(async (r) => {
            if (!r.ok) throw new Error(`GET /metrics answered ${r.status}`);
            return parseMcpCallMetrics(await r.text());
          }),
        ]);
        return {
          worker: w.name,
          probe: probe.status === 'fulfilled' ? probe.value : null,
          probeError: probe.status === 'rejected' ? reason(probe.reason) : undefined,
          metrics: metrics.status === 'fulfilled' ? metrics.value : null,
          metricsError: metrics.status === 'rejected' ? reason(metrics.reason) : undefined,
        };
      }),
    );
    let registry: RegistryRead = null;
    if (this.deps.capabilities) {
      try {
        registry = { entries: await this.deps.capabilities() };
      } catch (err) {
        registry = { error: reason(err) };
      }
    }
    return judgeMcpFleet({ workers: observations, registry, expected: mcp.servers, thresholds: mcp });
  }

  private async checkApp(app: AppTarget): Promise<CheckResult[]> {
    const base = app.url.replace(/\/$/, '');
    const out: CheckResult[] = [];
    try {
      const { status, body } = await getJson<HealthBody>(`${base}/health/ready`, this.timeout);
      const checks = Object.entries(body?.checks ?? {});
      const down = checks.filter(([, c]) => c.status === 'down').map(([n, c]) => `${n}: ${c.detail ?? 'down'}`);
      const degraded = checks.filter(([, c]) => c.status === 'degraded').map(([n, c]) => `${n}: ${c.detail ?? 'degraded'}`);
      if (status !== 200 || down.length) out.push({ check: 'ready', target: app.name, status: 'fail', detail: down.join('; ') || `HTTP ${status}` });
      else if (degraded.length) out.push({ check: 'ready', target: app.name, status: 'warn', detail: degraded.join('; ') });
      else out.push({ check: 'ready', target: app.name, status: 'ok', detail: checks.map(([n]) => n).join(', ') || 'up' });
    } catch (err) {
      out.push({ check: 'ready', target: app.name, status: 'fail', detail: `unreachable at ${base}: ${(err as Error).cause ? ((err as Error).cause as Error).message : (err as Error).message}` });
      return out;
    }
    if (app.name.startsWith('mcp-worker')) {
      try {
        const { body } = await getJson<Capabilities>(`${base}/capabilities`, this.timeout);
        const servers = body?.servers ?? [];
        const bad = servers.filter((s) => s.status !== 'up');
        out.push({
          check: 'capabilities',
          target: app.name,
          status: !servers.length || bad.length ? 'fail' : 'ok',
          detail: servers.length ? servers.map((s) => `${s.server} ${s.status} (${s.tools?.length ?? 0} tools)`).join(', ') : 'no MCP servers',
        });
      } catch (err) {
        out.push({ check: 'capabilities', target: app.name, status: 'fail', detail: (err as Error).message });
      }
    }
    return out;
  }

  /** Lag per consumer group of this instance; dead letters per DLQ topic. */
  private async checkKafka(): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    let admin: Admin;
    try {
      admin = await this.deps.admin();
    } catch (err) {
      return [{ check: 'lag', target: 'kafka', status: 'fail', detail: `cannot reach Kafka: ${(err as Error).message}` }];
    }
    const ends = new Map<string, Map<number, { low: bigint; high: bigint }>>();
    const endsOf = async (topic: string) => {
      if (!ends.has(topic)) ends.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }])));
      return ends.get(topic)!;
    };
    const existing = new Set(await admin.listTopics());

    const prefix = `${this.deps.instance}-`;
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix) && !g.includes('-replay-')).sort();
    const described = groups.length ? (await admin.describeGroups(groups)).groups : [];
    for (const g of described) {
      const committed = await admin.fetchOffsets({ groupId: g.groupId });
      let lag = 0n;
      for (const t of committed) {
        if (!existing.has(t.topic)) continue;
        const e = await endsOf(t.topic);
        for (const p of t.partitions) {
          const end = e.get(p.partition);
          if (!end || Number(p.offset) < 0) continue;
          const d = end.high - BigInt(p.offset);
          if (d > 0n) lag += d;
        }
      }
      const members = g.members.length;
      const status: CheckStatus = members === 0 ? 'fail' : lag > BigInt(this.cfg.maxLag) ? 'fail' : 'ok';
      out.push({ check: 'lag', target: g.groupId, status, detail: `${lag} behind, ${members} consumer(s)${members === 0 ? ' — nobody is consuming' : ''}${lag > BigInt(this.cfg.maxLag) ? ` (max ${this.cfg.maxLag})` : ''}` });
    }
    if (!described.length) out.push({ check: 'lag', target: `${prefix}*`, status: 'warn', detail: 'no consumer groups for this instance yet' });

    for (const t of this.deps.catalogue.allTopics().filter((x) => x.name.endsWith('.dlq') && existing.has(x.name))) {
      const e = await endsOf(t.name);
      let depth = 0n;
      for (const { low, high } of e.values()) depth += high - low;
      if (depth === 0n) continue;
      const over = this.cfg.maxDeadLetters !== undefined && depth > BigInt(this.cfg.maxDeadLetters);
      out.push({ check: 'dlq', target: t.name, status: over ? 'fail' : 'warn', detail: `${depth} dead letter(s)${over ? ` (max ${this.cfg.maxDeadLetters})` : ''}` });
    }
    const dlqs = out.filter((r) => r.check === 'dlq');
    if (!dlqs.length) out.push({ check: 'dlq', target: '*.dlq', status: 'ok', detail: 'no dead letters' });
    return out;
  }
}
