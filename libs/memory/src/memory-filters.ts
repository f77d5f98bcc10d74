import type { SearchFilters } from 'mem0ai/oss';

export type Payload = Record<string, unknown>;

/** Mem0 accepts scope keys in either spelling; payloads keep the snake_case ones. */
const SNAKE: Record<string, string> = { userId: 'user_id', agentId: 'agent_id', runId: 'run_id' };

export function normalizePayload(p: Payload): Payload {
  for (const [camel, snake] of Object.entries(SNAKE)) {
    if (camel in p && !(snake in p)) {
      p[snake] = p[camel];
      delete p[camel];
    }
  }
  return p;
}

/** One field condition of a Mem0 filter: a value (`'*'` = any), a list, or an operator object. */
function fieldMatches(actual: unknown, cond: unknown): boolean {
  if (cond === null || typeof cond !== 'object') return cond === '*' || actual === cond;
  if (Array.isArray(cond)) return cond.includes(actual);
  const c = cond as Record<string, unknown>;
  if ('eq' in c) return actual === c.eq;
  if ('ne' in c) return actual !== c.ne;
  if ('gt' in c) return (actual as number) > (c.gt as number);
  if ('gte' in c) return (actual as number) >= (c.gte as number);
  if ('lt' in c) return (actual as number) < (c.lt as number);
  if ('lte' in c) return (actual as number) <= (c.lte as number);
  if ('in' in c) return Array.isArray(c.in) && c.in.includes(actual);
  if ('nin' in c) return !Array.isArray(c.nin) || !c.nin.includes(actual);
  if ('contains' in c) return typeof actual === 'string' && actual.includes(String(c.contains));
  if ('icontains' in c) return typeof actual === 'string' && actual.toLowerCase().includes(String(c.icontains).toLowerCase());
  return actual === cond;
}

const LOGICAL: Record<string, 'AND' | 'OR' | 'NOT'> = { AND: 'AND', OR: 'OR', NOT: 'NOT', $and: 'AND', $or: 'OR', $not: 'NOT' };

/** Mem0's filter semantics: field conditions ANDed, plus AND / OR / NOT lists of sub-filters. */
export function matchesFilters(payload: Payload, filters: SearchFilters | undefined): boolean {
  if (!filters) return true;
  const seen = new Set<string>();
  for (const [rawKey, value] of Object.entries(filters)) {
    const key = LOGICAL[rawKey] ?? rawKey;
    if (seen.has(key)) continue;
    seen.add(key);
    if (key === 'AND' || key === 'OR' || key === 'NOT') {
      if (!Array.isArray(value)) throw new Error(`${key} filter value must be a list of filter objects, got ${typeof value}`);
      const subs = value as SearchFilters[];
      if (key === 'AND' && !subs.every((f) => matchesFilters(payload, f))) return false;
      if (key === 'OR' && !subs.some((f) => matchesFilters(payload, f))) return false;
      if (key === 'NOT' && subs.some((f) => matchesFilters(payload, f))) return false;
    } else if (!fieldMatches(payload[key], value)) {
      return false;
    }
  }
  return true;
}

