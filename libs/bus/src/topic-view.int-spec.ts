import { createEnvelope } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { testKafka } from '../../../test/support/topics';
import { TopicView } from './topic-view';

const TOPIC = 'mcp.capabilities';
const prefix = `phoenix-view-${TOPIC}-`;

async function viewGroups(): Promise<string[]> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
  } finally {
    await admin.disconnect();
  }
}

/** Views read compacted topics with throw-away groups; restarts must not pile them up. */
describe('TopicView consumer groups (real Kafka)', () => {
  let ctx: AppContext;
  beforeAll(async () => {
    ctx = testContext('view-test');
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => t.name === TOPIC));
    await ctx.bus.producer.publish(TOPIC, createEnvelope({ type: 'capabilities.updated', source: 'spec', key: `view-spec-${Date.now()}`, payload: { server: 'view-spec', serverName: null, serverVersion: null, description: null, transport: 'stdio', status: 'up', tools: [] } }));
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('a stopped view deletes its group; a killed one is cleaned up by the next start; two restarts leave none', async () => {
    const before = new Set(await viewGroups());
    // A process killed before stop(): its consumer left, its group stayed.
    const killed = new TopicView(ctx.bus.kafka, ctx.bus.codec, TOPIC, ctx.logger);
    await killed.start();
    await killed.ready();
    await (killed as unknown as { consumer: { disconnect(): Promise<void> } }).consumer.disconnect();

    for (let restart = 0; restart < 2; restart++) {
      const view = new TopicView(ctx.bus.kafka, ctx.bus.codec, TOPIC, ctx.logger);
      await view.start();
      await view.ready();
      expect(view.values().length).toBeGreaterThan(0);
      await view.stop();
    }
    const after = (await viewGroups()).filter((g) => !before.has(g));
    expect(after).toEqual([]);
  });
});
