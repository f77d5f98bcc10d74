import { Action, globMatches, ParsedScopes } from './scopes';

/**
 * Who is calling, after authentication: a key's name and what its scopes allow. Every surface
 * asks the same questions of it — may it do this action, on this topic, and which rows and
 * memories are its own.
 */
export class Principal {
  constructor(
    readonly name: string,
    readonly scopes: ParsedScopes,
    /** `key` (an API key), `service` (Phoenix's own pods) or `local` (in-process, e.g. stdio). */
    readonly kind: 'key' | 'service' | 'local' = 'key',
  ) {}

  get userId(): string | undefined {
    return this.scopes.userId;
  }

  get tenant(): string | undefined {
    return this.scopes.tenant;
  }

  get admin(): boolean {
    return this.scopes.admin;
  }

  mayPublish(topic: string): boolean {
    return this.admin || this.scopes.publish.some((g) => globMatches(g, topic));
  }

  mayRead(topic: string): boolean {
    return this.admin || this.scopes.read.some((g) => globMatches(g, topic));
  }

  /** Whether any resource of `action` is open to it (the route-level check; topics come after). */
  can(action: Action): boolean {
    if (this.admin) return true;
    switch (action) {
      case 'publish':
        return this.scopes.publish.length > 0;
      case 'read':
        return this.scopes.read.length > 0;
      case 'memory:read':
        return this.scopes.memoryRead.length > 0;
      case 'memory:write':
        return this.scopes.memoryWrite;
      case 'tasks:start':
        return this.scopes.tasksStart;
      case 'tasks:read':
        return this.scopes.tasksRead;
      case 'dlq:redrive':
        return this.scopes.dlqRedrive;
      case 'admin':
        return false;
    }
  }

  /** Topic globs whose rows it may read; `null` when every topic (admin, or `read:*`). */
  readableTopics(): string[] | null {
    if (this.admin || this.scopes.read.includes('*')) return null;
    return this.scopes.read;
  }

  /** Topic globs of the memories it may search; `null` when every memory. */
  memoryTopics(): string[] | null {
    if (this.admin || this.scopes.memoryRead.includes('*')) return null;
    return this.scopes.memoryRead;
  }

  /**
   * Whether a supervisor task is its to read: admin and service keys read every task, other keys
   * the tasks they started (`requestedBy` is `mcp/<key name>` or `gateway/<key name>`).
   */
  mayReadTask(requestedBy: string): boolean {
    if (this.admin || this.kind === 'service') return true;
    const [surface, name] = requestedBy.split('/');
    return (surface === 'mcp' || surface === 'gateway') && name === this.name;
  }

  /** What audit events and logs say about it (never the key). */
  describe(): { name: string; kind: string; userId?: string; tenant?: string } {
    return { name: this.name, kind: this.kind, ...(this.userId ? { userId: this.userId } : {}), ...(this.tenant ? { tenant: this.tenant } : {}) };
  }
}

/** In-process callers that hold every scope (the stdio MCP server run by a local user). */
export function localPrincipal(name = 'local'): Principal {
  return new Principal(name, { admin: true, publish: [], read: [], memoryRead: [], memoryWrite: false, tasksStart: false, tasksRead: false, dlqRedrive: false }, 'local');
}
