import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseWith } from '@phoenix/config';
import { mcpCommandsTopic, n8nOutboundTopic, TopicCatalogue, TOPICS } from '@phoenix/contracts';
import { PhoenixLogger } from '@phoenix/observability';
import { compileRoute, CompiledRoute } from './route-matcher';
import { EmitConfig, routesFileSchema } from './routes.config';

/** The topic an emit writes to. */
export function targetTopic(emit: EmitConfig): string {
  if ('mcp' in emit) return mcpCommandsTopic(emit.mcp.server);
  if ('task' in emit) return TOPICS.supervisorTasks;
  if ('n8n' in emit) return n8nOutboundTopic(emit.n8n.flow);
  return emit.topic.name;
}

/**
 * Parses and checks a routes file: schema, unique names, and that every target exists in the
 * topic catalogue (an MCP server, an n8n flow, a topic). Throws ConfigError listing all problems.
 */
export function parseRoutes(text: string, file: string, catalogue: TopicCatalogue): CompiledRoute[] {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError([`${file}: not valid YAML: ${(err as Error).message}`]);
  }
  const parsed = parseWith(routesFileSchema, raw, file);
  const problems: string[] = [];
  parsed.routes.forEach((r) => {
    r.match.topics.forEach((t) => {
      if (catalogue.match(t).length === 0) problems.push(`${file}: route "${r.name}": match.topics "${t}" matches no topic in the catalogue`);
    });
    r.emit.forEach((e, i) => {
      const topic = targetTopic(e);
      const resolved = catalogue.resolve(topic);
      if (!resolved || resolved.role !== 'main') {
        const what = 'mcp' in e ? `MCP server "${e.mcp.server}" is not configured (config/mcp-servers.yaml)` : 'n8n' in e ? `n8n flow "${e.n8n.flow}" is not configured` : `topic ${topic} is not in the catalogue`;
        problems.push(`${file}: route "${r.name}" emit[${i}]: ${what}`);
      }
    });
    r.match.where?.forEach((p, i) => {
      if (p.matches !== undefined) {
        try {
          new RegExp(p.matches);
        } catch (err) {
          problems.push(`${file}: route "${r.name}" where[${i}].matches: ${(err as Error).message}`);
        }
      }
    });
  });
  if (problems.length) throw new ConfigError(problems);
  return parsed.routes.map(compileRoute);
}

/**
 * The active rules, loaded from `config/routes.yaml` and reloaded when the file changes. A bad
 * file is rejected with a clear error and the previous rules stay active.
 */
export class RouteTable {
  private routes: CompiledRoute[] = [];
  private watcher?: fs.FSWatcher;
  private debounce?: NodeJS.Timeout;
  private lastError: string | null = null;
  private lastRejected: { at: number; error: string } | null = null;
  private loadedAt = 0;
  private readonly listeners: (() => void)[] = [];
  readonly file: string;

  constructor(
    configDir: string,
    private readonly catalogue: TopicCatalogue,
    private readonly logger: PhoenixLogger,
  ) {
    this.file = path.join(configDir, 'routes.yaml');
  }

  /** Loads the file; on first load a bad file is a boot error. */
  load(): void {
    const text = fs.existsSync(this.file) ? fs.readFileSync(this.file, 'utf8') : 'routes: []';
    this.routes = parseRoutes(text, this.file, this.catalogue);
    this.loadedAt = Date.now();
    this.lastError = null;
  }

  /** Reloads on change; returns false (keeping the previous rules) when the new file is invalid. */
  reload(): boolean {
    try {
      const before = this.routes.length;
      this.load();
      this.logger.info({ file: this.file, routes: this.routes.length, before }, 'routes reloaded');
      return true;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.lastRejected = { at: Date.now(), error: this.lastError };
      this.logger.error({ file: this.file, err: this.lastError }, 'routes file rejected; previous rules stay active');
      return false;
    } finally {
      for (const l of this.listeners) l();
    }
  }

  /** Called after every reload, accepted or rejected. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  watch(): void {
    // Watch the directory: editors often replace the file instead of writing it in place.
    this.watcher = fs.watch(path.dirname(this.file), (_event, name) => {
      if (name && name.toString() !== path.basename(this.file)) return;
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => this.reload(), 150);
    });
  }

  close(): void {
    clearTimeout(this.debounce);
    this.watcher?.close();
  }

  active(): CompiledRoute[] {
    return this.routes;
  }

  /** `lastError`: the file on disk is rejected now; `lastRejected` stays after a later file is accepted. */
  status(): { routes: number; loadedAt: number; lastError: string | null; lastRejected: { at: number; error: string } | null } {
    return { routes: this.routes.length, loadedAt: this.loadedAt, lastError: this.lastError, lastRejected: this.lastRejected };
  }
}
