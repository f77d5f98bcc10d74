import * as fs from 'node:fs';
import * as https from 'node:https';
import type { Admin } from 'kafkajs';
import { TopicCatalogue } from '@phoenix/contracts';
import { DeploymentConfig } from './deployment.config';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  check: 'ready' | 'capabilities' | 'lag' | 'dlq' | 'discovery';
  target: string;
  status: CheckStatus;
  detail: string;
}

export interface AppTarget {
  name: string;
  url: string;
}

export interface FleetReport {
  healthy: boolean;
  checkedAt: string;
  instance: string;
  results: CheckResult[];
}

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

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

/**
 * Checks a deployed Phoenix: every app's readiness (and MCP workers' servers), consumer lag per
 * group of the instance, and dead letters per DLQ topic. Pure reads; safe against production.
 */
export class FleetValidator {
  constructor(
    private readonly cfg: DeploymentConfig,
    private readonly deps: { admin: () => Promise<Admin>; catalogue: TopicCatalogue; instance: string; timeoutMs?: number; /** For in-cluster discovery (KUBERNETES_SERVICE_HOST/PORT). */ env?: NodeJS.ProcessEnv },
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
      const ports = svc.spec.ports ?? [];
      const port = (k.portName ? ports.find((p) => p.name === k.portName) : undefined) ?? ports[0];
      if (!port) return [];
      return [{ name: svc.metadata.labels?.[k.appLabel] ?? svc.metadata.name, url: `http://${svc.metadata.name}.${k.namespace}.svc:${port.port}` }];
    });
  }

  private get timeout(): number {
    return this.deps.timeoutMs ?? 3000;
  }

  async run(): Promise<FleetReport> {
    const { apps, results } = await this.targets();
    const perApp = await Promise.all(apps.map((a) => this.checkApp(a)));
    results.push(...perApp.flat());
    results.push(...(await this.checkKafka()));
    const strict = results.every((r) => r.status !== 'fail');
    return { healthy: strict, checkedAt: new Date().toISOString(), instance: this.deps.instance, results };
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
