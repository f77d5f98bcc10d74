import { EventOf } from '../families';

// Typed with EventOf<…>: `npm run typecheck` proves these match the generated TS types, and the
// contracts spec proves they match the Avro schemas — together, types and schemas agree.

export const genericExample: EventOf<'events.app'> = {
  id: '01934f6e-6b1a-7c3e-9f2a-1b2c3d4e5f60',
  type: 'deal.updated',
  version: 1,
  source: 'gateway',
  key: 'deal-42',
  occurredAt: 1795600000000,
  ingestedAt: 1795600000100,
  correlationId: '01934f6e-6b1a-7c3e-9f2a-1b2c3d4e5f60',
  causationId: null,
  tenant: null,
  payload: { stage: 'closed-won', amount: 1200, tags: ['enterprise'] },
};

export const cdcExample: EventOf<'cdc.hubspot.deals'> = {
  ...genericExample,
  type: 'deal.changed',
  source: 'estuary',
  payload: {
    system: 'hubspot',
    schema: 'crm',
    table: 'deals',
    primaryKey: { id: 42 },
    op: 'update',
    before: { id: 42, stage: 'proposal' },
    after: { id: 42, stage: 'closed-won' },
    changedFields: ['stage'],
    position: { lsn: null, txId: '771', uuid: 'd7e1c0de-0000-11ef-8000-000000000001', binlog: null },
    sourceTs: 1795599999000,
    snapshot: false,
  },
};
