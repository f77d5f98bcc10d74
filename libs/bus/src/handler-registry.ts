import { globToRegExp, TopicCatalogue } from '@phoenix/contracts';
import { BusError, BusErrorCode } from './bus.exception';

export interface HandlerBinding<H> {
  pattern: string;
  handler: H;
}

/**
 * Resolves which handler serves each topic and refuses inconsistent setups at boot: a pattern
 * that matches no catalogue topic, a topic matched by two patterns, a pattern registered twice,
 * or a required topic left without a handler.
 */
export function bindHandlers<H>(
  catalogue: TopicCatalogue,
  handlers: { pattern: string; handler: H; duplicates: number }[],
  required: string[] = [],
): Map<string, HandlerBinding<H>> {
  const problems: string[] = [];
  const byTopic = new Map<string, HandlerBinding<H>>();
  for (const h of handlers) {
    if (h.duplicates > 1) problems.push(`pattern "${h.pattern}" has ${h.duplicates} handlers; each needs exactly one`);
    const re = globToRegExp(h.pattern);
    const topics = catalogue.topics().filter((t) => re.test(t.name));
    if (topics.length === 0) problems.push(`handler pattern "${h.pattern}" matches no topic in the catalogue`);
    for (const t of topics) {
      const existing = byTopic.get(t.name);
      if (existing) problems.push(`topic ${t.name} is matched by both "${existing.pattern}" and "${h.pattern}"`);
      else byTopic.set(t.name, { pattern: h.pattern, handler: h.handler });
    }
  }
  for (const topic of required) {
    if (!catalogue.resolve(topic)) problems.push(`subscribed topic ${topic} is not in the catalogue`);
    else if (!byTopic.has(topic)) problems.push(`subscribed topic ${topic} has no handler`);
  }
  if (problems.length) {
    throw new BusError(BusErrorCode.HandlerConflict, `event handlers are inconsistent:\n  - ${problems.join('\n  - ')}`);
  }
  return byTopic;
}
