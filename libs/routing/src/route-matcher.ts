import { ChangeEvent, Envelope, globToRegExp, select } from '@phoenix/contracts';
import { Predicate, RouteConfig } from './routes.config';

export interface CompiledRoute {
  config: RouteConfig;
  matches(topic: string, event: Envelope<unknown>): boolean;
  /** Why the rule does not match (the first failing condition), or null when it matches; for dry runs. */
  explain(topic: string, event: Envelope<unknown>): string | null;
}

const anyOf = (globs: string[] | undefined) => {
  if (!globs) return () => true;
  const res = globs.map(globToRegExp);
  return (value: string | null | undefined) => value != null && res.some((r) => r.test(value));
};

/** One JSONPath predicate as a function of the event. */
export function predicate(p: Predicate): (event: Envelope<unknown>) => boolean {
  const re = p.matches !== undefined ? new RegExp(p.matches) : undefined;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return (event) => {
    const values = select(p.path, event);
    if (p.exists !== undefined) return p.exists === values.some((v) => v !== null && v !== undefined);
    return values.some(
      (v) =>
        (p.equals === undefined || same(v, p.equals)) &&
        (p.notEquals === undefined || !same(v, p.notEquals)) &&
        (p.in === undefined || p.in.some((x) => same(v, x))) &&
        (p.gt === undefined || (typeof v === 'number' && v > p.gt)) &&
        (p.gte === undefined || (typeof v === 'number' && v >= p.gte)) &&
        (p.lt === undefined || (typeof v === 'number' && v < p.lt)) &&
        (p.lte === undefined || (typeof v === 'number' && v <= p.lte)) &&
        (re === undefined || (typeof v === 'string' && re.test(v))),
    );
  };
}

const isChange = (payload: unknown): payload is ChangeEvent =>
  typeof payload === 'object' && payload !== null && 'op' in payload && 'table' in payload && 'changedFields' in payload;

/** Turns a route's declarative `match` into a function; CDC conditions only match CDC events. */
export function compileRoute(config: RouteConfig): CompiledRoute {
  const m = config.match;
  const topic = anyOf(m.topics);
  const type = anyOf(m.types);
  const source = anyOf(m.sources);
  const table = anyOf(m.tables);
  const where = (m.where ?? []).map(predicate);
  const needsChange = m.tables !== undefined || m.ops !== undefined || m.changedFields !== undefined;
  return {
    config,
    matches(t, event) {
      if (!config.enabled || !topic(t) || !type(event.type) || !source(event.source)) return false;
      if (needsChange) {
        const c = event.payload;
        if (!isChange(c)) return false;
        if (!table(c.table)) return false;
        if (m.ops && !m.ops.includes(c.op)) return false;
        if (m.changedFields && !m.changedFields.some((f) => c.changedFields.includes(f))) return false;
      }
      return where.every((w) => w(event));
    },
    explain(t, event) {
      if (!config.enabled) return 'the rule is disabled';
      if (!topic(t)) return `topic ${t} is not one of ${m.topics.join(', ')}`;
      if (!type(event.type)) return `type ${event.type} is not one of ${m.types!.join(', ')}`;
      if (!source(event.source)) return `source ${event.source} is not one of ${m.sources!.join(', ')}`;
      if (needsChange) {
        const c = event.payload;
        if (!isChange(c)) return 'the rule has CDC conditions (tables, ops, changedFields) and the payload is not a change event';
        if (!table(c.table)) return `table ${c.table} is not one of ${m.tables!.join(', ')}`;
        if (m.ops && !m.ops.includes(c.op)) return `op ${c.op} is not one of ${m.ops.join(', ')}`;
        if (m.changedFields && !m.changedFields.some((f) => c.changedFields.includes(f))) return `none of ${m.changedFields.join(', ')} changed`;
      }
      const failed = where.findIndex((w) => !w(event));
      return failed >= 0 ? `where[${failed}] (${JSON.stringify(m.where![failed])}) does not hold` : null;
    },
  };
}
