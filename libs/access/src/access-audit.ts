import { EventProducer } from '@phoenix/bus';
import { AccessAudit, createEnvelope, TOPICS } from '@phoenix/contracts';
import { Principal } from './principal';

export const AUDIT_TOPIC = TOPICS.auditAccess;

export type AuditEntry = Pick<AccessAudit, 'surface' | 'action' | 'operation' | 'outcome'> & Partial<Pick<AccessAudit, 'scope' | 'count' | 'reason'>>;

/**
 * Writes one `audit.access` event per read of memory or the warehouse and per write through
 * MCP: who (the key's name, never the key), what, the scope the answer was narrowed to and how
 * many rows or memories — never payloads. Awaited by the surfaces, so an answer is never given
 * for a read that left no trace.
 */
export class AccessAuditLog {
  constructor(
    private readonly producer: EventProducer,
    private readonly source: string,
  ) {}

  async record(principal: Principal, entry: AuditEntry): Promise<void> {
    const payload: AccessAudit = {
      principal: principal.name,
      principalKind: principal.kind,
      userId: principal.userId ?? null,
      tenant: principal.tenant ?? null,
      surface: entry.surface,
      action: entry.action,
      operation: entry.operation,
      scope: entry.scope ?? null,
      outcome: entry.outcome,
      count: entry.count ?? null,
      reason: entry.reason ?? null,
    };
    await this.producer.publish(AUDIT_TOPIC, createEnvelope({ type: `access.${entry.outcome}`, source: this.source, key: principal.name, payload }));
  }
}

/** How a principal's reads were narrowed, for the audit `scope` field. */
export function describeScope(topics: string[] | null, userId?: string, tenant?: string): string | null {
  const parts = [...(topics ? [`topics ${topics.join(',') || '(none)'}`] : []), ...(userId ? [`user ${userId}`] : []), ...(tenant ? [`tenant ${tenant}`] : [])];
  return parts.length ? parts.join('; ') : null;
}
