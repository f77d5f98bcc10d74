import * as fs from 'node:fs';
import * as path from 'node:path';
import { N8nConfig } from './n8n-flows.config';
import { SIGNATURE_HEADERS, sign } from './webhook-signature';
import { PhoenixError } from '@phoenix/errors';

export interface WorkflowFile {
  file: string;
  name: string;
  json: Record<string, unknown>;
  /** Production webhook paths of its Webhook nodes. */
  webhooks: string[];
}

export interface DeployResult {
  name: string;
  id: string;
  action: 'created' | 'updated';
  active: boolean;
  webhooks: string[];
}

type Node = { type?: string; parameters?: { path?: string } };

/** Workflow definitions in the repo (`n8n/workflows/*.json`). */
export function readWorkflows(dir: string): WorkflowFile[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>;
      const nodes = (json.nodes as Node[]) ?? [];
      return { file: f, name: String(json.name), json, webhooks: nodes.filter((n) => n.type === 'n8n-nodes-base.webhook').map((n) => String(n.parameters?.path)) };
    });
}

/** n8n's REST API refused or failed an administration step (setup, import, activation, trigger). */
export class N8nAdminError extends PhoenixError<'N8N_ADMIN_FAILED'> {
  constructor(message: string) {
    super('N8N_ADMIN_FAILED', message, { kind: 'unavailable' });
  }
}

/**
 * Headless administration of an n8n instance over its REST API: owner setup or login, import or
 * update workflows, activate them (n8n 2.x needs the version id), and trigger production webhooks.
 */
export class N8nAdmin {
  private cookie?: string;

  constructor(
    private readonly cfg: N8nConfig,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  private get base(): string {
    return this.cfg.n8n.baseUrl.replace(/\/+$/, '');
  }

  private async call<T>(method: string, pathname: string, body?: unknown): Promise<{ status: number; data: T; headers: Headers }> {
    const res = await this.fetchFn(`${this.base}${pathname}`, {
      method,
      headers: { 'content-type': 'application/json', ...(this.cookie ? { cookie: this.cookie } : {}), ...(this.cfg.n8n.apiKey ? { 'x-n8n-api-key': this.cfg.n8n.apiKey } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30000),
    });
    const text = await res.text();
    let data: unknown = text;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      /* plain text */
    }
    return { status: res.status, data: ((data as { data?: unknown })?.data ?? data) as T, headers: res.headers };
  }

  /** Waits until the REST API answers (readiness comes before the routes are mounted). */
  async waitForApi(timeoutMs = 60000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.call('GET', '/rest/settings').catch(() => ({ status: 0 }));
      if (res.status === 200) return;
      if (Date.now() > deadline) throw new N8nAdminError(`n8n at ${this.base} did not answer its REST API`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Logs in as the owner, creating the owner on a fresh instance. */
  async login(): Promise<void> {
    await this.waitForApi();
    const owner = this.cfg.n8n.owner;
    if (!owner) throw new N8nAdminError('n8n.owner (email, password) is not configured in config/n8n-flows.yaml');
    const keep = (h: Headers) => {
      const set = h.get('set-cookie');
      if (set) this.cookie = set.split(';')[0];
    };
    const setup = await this.call('POST', '/rest/owner/setup', { email: owner.email, firstName: owner.firstName, lastName: owner.lastName, password: owner.password });
    if (setup.status === 200) return keep(setup.headers);
    const login = await this.call('POST', '/rest/login', { emailOrLdapLoginId: owner.email, email: owner.email, password: owner.password });
    if (login.status !== 200) throw new N8nAdminError(`n8n login failed (${login.status}): ${JSON.stringify(login.data).slice(0, 200)}`);
    keep(login.headers);
  }

  /** Creates or updates each workflow by name and activates it. */
  async deploy(workflows: WorkflowFile[]): Promise<DeployResult[]> {
    await this.login();
    const existing = await this.call<{ id: string; name: string }[]>('GET', '/rest/workflows');
    if (existing.status !== 200) throw new N8nAdminError(`cannot list workflows (${existing.status})`);
    const results: DeployResult[] = [];
    for (const wf of workflows) {
      const found = existing.data.find((w) => w.name === wf.name);
      const body = { ...wf.json, active: false };
      let saved: { id: string; versionId: string };
      if (found) {
        const current = await this.call<{ versionId: string }>('GET', `/rest/workflows/${found.id}`);
        const res = await this.call<{ id: string; versionId: string }>('PATCH', `/rest/workflows/${found.id}`, { ...body, versionId: current.data.versionId });
        if (res.status !== 200) throw new N8nAdminError(`updating ${wf.name} failed (${res.status}): ${JSON.stringify(res.data).slice(0, 300)}`);
        saved = res.data;
      } else {
        const res = await this.call<{ id: string; versionId: string }>('POST', '/rest/workflows', body);
        if (res.status !== 200) throw new N8nAdminError(`creating ${wf.name} failed (${res.status}): ${JSON.stringify(res.data).slice(0, 300)}`);
        saved = res.data;
      }
      const act = await this.call<{ active: boolean }>('POST', `/rest/workflows/${saved.id}/activate`, { versionId: saved.versionId });
      if (act.status !== 200) throw new N8nAdminError(`activating ${wf.name} failed (${act.status}): ${JSON.stringify(act.data).slice(0, 300)}`);
      results.push({ name: wf.name, id: saved.id, action: found ? 'updated' : 'created', active: true, webhooks: wf.webhooks });
    }
    return results;
  }

  /** POSTs to a production webhook, signed when a secret is given; returns n8n's answer. */
  async trigger(webhookPath: string, data: unknown, secret?: string): Promise<{ status: number; body: unknown }> {
    const body = JSON.stringify(data ?? {});
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await this.fetchFn(`${this.base}/webhook/${webhookPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADERS.timestamp]: timestamp, ...(secret ? { [SIGNATURE_HEADERS.signature]: sign(secret, timestamp, body) } : {}) },
      body,
      signal: AbortSignal.timeout(60000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* keep text */
    }
    return { status: res.status, body: parsed };
  }
}
