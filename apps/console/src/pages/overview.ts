import { get } from '../api';
import { legend, lineChart } from '../chart';
import { clear, h } from '../dom';
import { parseMetrics, total } from '../metrics';
import { every, Page } from './page';
import { TOPICS } from '../../../../libs/contracts/src/topic-names';

/** `/health/ready`'s answer: `status` is up, degraded (still ready) or down. */
interface Health {
  status?: 'up' | 'degraded' | 'down';
  checks?: Record<string, { status: string; detail?: string; latencyMs?: number }>;
}
interface Stats {
  lineageEvents: number;
  undecodable: number;
  topics: { topic: string; read: number; perSecond: number[] }[];
}
interface LagHistory {
  samples: { at: number; groups: { group: string; state: string; members: number; lag: number }[]; deadLetters: Record<string, number> }[];
}

const INBOUND = /^(events\.|cdc\.|interactions\.|ingest\.|code\.)/;
const isMain = (t: string) => !t.endsWith('.retry') && !t.endsWith('.dlq');

const sum = (rows: number[][]) => (rows[0] ?? []).map((_, i) => rows.reduce((a, r) => a + (r[i] ?? 0), 0));

export const overviewPage: Page = (root, _params, onError) => {
  const health = h('section', { class: 'card', 'aria-labelledby': 'h-health' });
  const rates = h('section', { class: 'card', 'aria-labelledby': 'h-rates' });
  const lag = h('section', { class: 'card wide', 'aria-labelledby': 'h-lag' });
  const totals = h('section', { class: 'card', 'aria-labelledby': 'h-totals' });
  clear(root, h('h1', {}, 'Overview'), h('div', { class: 'grid' }, health, totals, rates, lag));

  const stop = every(
    2000,
    async () => {
      const [hz, stats, lagH, metrics] = await Promise.all([
        fetch('/health/ready').then((r) => r.json() as Promise<Health>),
        get<Stats>('/v1/console/stats'),
        get<LagHistory>('/v1/console/lag'),
        fetch('/metrics').then(async (r) => parseMetrics(await r.text())),
      ]);
      const checks = Object.entries(hz.checks ?? {});
      clear(
        health,
        h('h2', { id: 'h-health' }, 'Readiness ', readiness(hz.status)),
        h(
          'table',
          {},
          h('caption', { class: 'sr-only' }, 'Health checks'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Check'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Detail'))),
          h('tbody', {}, checks.map(([name, c]) => h('tr', {}, h('td', {}, name), h('td', {}, h('span', { class: `badge ${c.status === 'up' ? 'ok' : c.status === 'degraded' ? 'warn' : 'bad'}` }, c.status)), h('td', {}, c.detail ?? (c.latencyMs !== undefined ? `${c.latencyMs} ms` : ''))))),
        ),
      );

      const main = stats.topics.filter((t) => isMain(t.topic));
      const inbound = sum(main.filter((t) => INBOUND.test(t.topic)).map((t) => t.perSecond));
      const derived = sum(main.filter((t) => !INBOUND.test(t.topic)).map((t) => t.perSecond));
      clear(
        rates,
        h('h2', { id: 'h-rates' }, 'Events per second (last 60 s)'),
        lineChart([{ name: 'in', points: inbound }, { name: 'derived', points: derived }], { label: 'Events per second in and derived' }),
        legend([`in (events, CDC, interactions): ${inbound.at(-1) ?? 0}/s`, `derived (commands, results, tasks, memory): ${derived.at(-1) ?? 0}/s`]),
      );

      const samples = lagH.samples;
      const groups = [...new Set(samples.flatMap((s) => s.groups.map((g) => g.group)))].sort();
      const latest = samples.at(-1);
      clear(
        lag,
        h('h2', { id: 'h-lag' }, 'Consumer lag per group (from the broker, every 5 s)'),
        samples.length ? lineChart(groups.map((g) => ({ name: g, points: samples.map((s) => s.groups.find((x) => x.group === g)?.lag ?? 0) })), { label: 'Consumer lag per group', width: 900 }) : h('p', {}, 'No sample yet.'),
        legend(groups.map((g) => { const x = latest?.groups.find((y) => y.group === g); return `${g}: ${x?.lag ?? 0} behind, ${x?.members ?? 0} member(s)`; })),
      );

      const dlq = Object.entries(latest?.deadLetters ?? {});
      const read = (t: string) => stats.topics.find((x) => x.topic === t)?.read ?? 0;
      clear(
        totals,
        h('h2', { id: 'h-totals' }, 'Totals'),
        h(
          'dl',
          { class: 'totals' },
          h('dt', {}, 'Dead letters'),
          h('dd', {}, h('a', { href: '#/dlq' }, String(dlq.reduce((a, [, n]) => a + n, 0))), dlq.length ? ` in ${dlq.map(([t, n]) => `${t} (${n})`).join(', ')}` : ''),
          h('dt', {}, 'Memories written'),
          h('dd', {}, String(total(metrics, 'phoenix_memory_changes_total', { op: 'add' }))),
          h('dt', {}, 'Warehouse rows written'),
          h('dd', {}, String(total(metrics, 'phoenix_sink_batch_events_sum', { sink: 'warehouse' }))),
          h('dt', {}, 'Memory changes on the bus'),
          h('dd', {}, String(read(TOPICS.memoryChanges))),
          h('dt', {}, 'Tool results read'),
          h('dd', {}, String(read(TOPICS.mcpResults))),
          h('dt', {}, 'Events in the lineage index'),
          h('dd', {}, String(stats.lineageEvents)),
          h('dt', {}, 'Undecodable records'),
          h('dd', {}, String(stats.undecodable)),
        ),
      );
    },
    onError,
  );
  return stop;
};

function readiness(status: Health['status']): HTMLElement {
  if (status === 'up') return h('span', { class: 'badge ok', 'data-ready': 'up' }, 'ready');
  if (status === 'degraded') return h('span', { class: 'badge warn', 'data-ready': 'degraded' }, 'ready, degraded');
  return h('span', { class: 'badge bad', 'data-ready': 'down' }, 'not ready');
}
