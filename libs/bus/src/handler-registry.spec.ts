import { CORE_TOPICS, TopicCatalogue } from '@phoenix/contracts';
import { BusError } from './bus.exception';
import { bindHandlers } from './handler-registry';

const catalogue = new TopicCatalogue([...CORE_TOPICS, { ...CORE_TOPICS[0], name: 'cdc.hubspot.deals', family: 'cdc' }]);
const h = (pattern: string, duplicates = 1) => ({ pattern, handler: pattern, duplicates });

describe('bindHandlers', () => {
  it('maps each topic to the one pattern that matches it', () => {
    const b = bindHandlers(catalogue, [h('events.*'), h('cdc.hubspot.deals')]);
    expect([...b.keys()].sort()).toEqual(['cdc.hubspot.deals', 'events.agent', 'events.app']);
    expect(b.get('events.app')!.pattern).toBe('events.*');
  });

  it.each([
    [[h('events.*'), h('events.app')], /matched by both/],
    [[h('events.app', 2)], /has 2 handlers/],
    [[h('billing.*')], /matches no topic/],
  ])('refuses inconsistent handlers %#', (handlers, message) => {
    expect(() => bindHandlers(catalogue, handlers)).toThrow(BusError);
    expect(() => bindHandlers(catalogue, handlers)).toThrow(message);
  });

  it('requires a handler for every subscribed topic', () => {
    expect(() => bindHandlers(catalogue, [h('events.app')], ['events.app', 'cdc.hubspot.deals'])).toThrow(/cdc\.hubspot\.deals has no handler/);
    expect(() => bindHandlers(catalogue, [h('events.app')], ['nope'])).toThrow(/not in the catalogue/);
  });
});
