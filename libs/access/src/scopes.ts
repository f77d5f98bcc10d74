import { TOPICS } from '@phoenix/contracts';
/**
 * The scope grammar of an API key. One access model for every surface (REST, the gateway's
 * `/mcp`, the data MCP servers):
 *
 * | scope | allows |
 * |---|---|
 * | `publish:<topic-glob>` | publishing to matching topics |
 * | `read:<topic-glob>` | warehouse rows, tails and lineage of matching topics |
 * | `memory:read` / `memory:read:<topic-glob>` | searching memories (of matching source topics) |
 * | `memory:write` | adding memories |
 * | `tasks:start`, `tasks:read` | starting supervisor tasks; task status and the capability registry |
 * | `dlq:redrive` | redriving dead letters |
 * | `admin` or `*` | everything |
 * | `user:<id>` | binds the key to one user: its memory reads, memory writes and rows are that user's only |
 * | `tenant:<id>` | binds the key to one tenant (carried on what it publishes and into memory scope) |
 * | `rate:<n>` | at most n requests per second for this key (429 with Retry-After past it) |
 * | `<topic-glob>` | as before the access model: `publish:` + `read:` on it (`supervisor.tasks` also `tasks:*`) |
 *
 * Pure: no Phoenix imports, so config and every surface can share it.
 */

export type Action = 'publish' | 'read' | 'memory:read' | 'memory:write' | 'tasks:start' | 'tasks:read' | 'dlq:redrive' | 'admin';

export const ACTIONS: readonly Action[] = ['publish', 'read', 'memory:read', 'memory:write', 'tasks:start', 'tasks:read', 'dlq:redrive', 'admin'];

export interface ParsedScopes {
  admin: boolean;
  publish: string[];
  read: string[];
  /** Topic globs of the memories it may search (`*` for all); empty: none. */
  memoryRead: string[];
  memoryWrite: boolean;
  tasksStart: boolean;
  tasksRead: boolean;
  dlqRedrive: boolean;
  userId?: string;
  tenant?: string;
  ratePerSecond?: number;
}

const GLOB = /^[A-Za-z0-9._*-]{1,200}$/;
const ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Topic globs use `*` for any run of characters; everything else is literal. */
export function globMatches(glob: string, topic: string): boolean {
  if (glob === '*') return true;
  const parts = glob.split('*');
  if (parts.length === 1) return glob === topic;
  if (!topic.startsWith(parts[0]) || !topic.endsWith(parts[parts.length - 1])) return false;
  let at = parts[0].length;
  const end = topic.length - parts[parts.length - 1].length;
  for (const mid of parts.slice(1, -1)) {
    const i = topic.indexOf(mid, at);
    if (i < 0 || i + mid.length > end) return false;
    at = i + mid.length;
  }
  return at <= end;
}

/** Parses a key's scopes; every problem is listed (for boot-time config errors). */
export function parseScopes(scopes: string[]): { scopes: ParsedScopes; problems: string[] } {
  const out: ParsedScopes = { admin: false, publish: [], read: [], memoryRead: [], memoryWrite: false, tasksStart: false, tasksRead: false, dlqRedrive: false };
  const problems: string[] = [];
  const glob = (s: string, g: string, into: string[]) => (GLOB.test(g) ? into.push(g) : problems.push(`scope "${s}": "${g}" is not a topic glob (letters, digits, . _ - and *)`));
  for (const s of scopes) {
    const [head, ...rest] = s.split(':');
    const arg = rest.join(':');
    if (s === '*' || s === 'admin') out.admin = true;
    else if (head === 'publish' && arg) glob(s, arg, out.publish);
    else if (head === 'read' && arg) glob(s, arg, out.read);
    else if (s === 'memory:read') out.memoryRead.push('*');
    else if (head === 'memory' && rest[0] === 'read' && rest.length > 1) glob(s, rest.slice(1).join(':'), out.memoryRead);
    else if (s === 'memory:write') out.memoryWrite = true;
    else if (s === 'tasks:start') out.tasksStart = true;
    else if (s === 'tasks:read') out.tasksRead = true;
    else if (s === 'dlq:redrive') out.dlqRedrive = true;
    else if (head === 'user' && arg) {
      if (!ID.test(arg)) problems.push(`scope "${s}": the user id is not 1-128 of [A-Za-z0-9._:@-]`);
      else if (out.userId && out.userId !== arg) problems.push(`scope "${s}": a key binds to one user (already ${out.userId})`);
      else out.userId = arg;
    } else if (head === 'tenant' && arg) {
      if (!ID.test(arg)) problems.push(`scope "${s}": the tenant id is not 1-128 of [A-Za-z0-9._:@-]`);
      else if (out.tenant && out.tenant !== arg) problems.push(`scope "${s}": a key binds to one tenant (already ${out.tenant})`);
      else out.tenant = arg;
    } else if (head === 'rate' && arg) {
      const n = Number(arg);
      if (!Number.isFinite(n) || n <= 0) problems.push(`scope "${s}": the rate is not a positive number of requests per second`);
      else out.ratePerSecond = n;
    } else if (!s.includes(':') && GLOB.test(s)) {
      // A bare topic glob: the scope keys had before actions existed.
      out.publish.push(s);
      out.read.push(s);
      if (globMatches(s, TOPICS.supervisorTasks)) {
        out.tasksStart = true;
        out.tasksRead = true;
      }
    } else problems.push(`scope "${s}" is not one of publish:<glob>, read:<glob>, memory:read[:<glob>], memory:write, tasks:start, tasks:read, dlq:redrive, admin, user:<id>, tenant:<id>, rate:<n> or a topic glob`);
  }
  return { scopes: out, problems };
}
