import { ApiError, get, post } from '../api';
import { clear, field, fmtTime, h, pretty, statusLine } from '../dom';
import { every, Page } from './page';
import { TOPICS } from '../../../../libs/contracts/src/topic-names';

interface Rule {
  name: string;
  description: string | null;
  enabled: boolean;
  topics: string[];
  targets: string[];
  hits: number;
  emitted: number;
  skipped: number;
  errors: number;
  lastHitAt: number | null;
  lastErrorAt: number | null;
  lastErrorMessage: string | null;
  config: unknown;
}

interface Overview {
  routers: { process: string; file: string; loadedAt: number; updatedAt: number; stale: boolean; rejectedNow: boolean }[];
  rules: Rule[];
  lastRejected: { process: string; at: number; error: string; rejectedNow: boolean } | null;
}

interface DryRun {
  results: { rule: string; matched: boolean; reason: string | null; emits: { kind: string; target: string; outcome: string; event?: unknown }[] }[];
}

const SAMPLE = pretty({ topic: TOPICS.eventsApp, type: 'demo.echo', key: 'demo-1', payload: { text: 'hi' } });

/** Active rules with hits and errors, the last rejected routes file, and a dry run against a pasted event. */
export const routesPage: Page = (root, _params, onError) => {
  const rulesEl = h('section', { class: 'card wide', 'aria-labelledby': 'h-rules' });
  const routersEl = h('section', { class: 'card', 'aria-labelledby': 'h-routers' });
  const eventInput = h('textarea', { rows: 8, class: 'mono', spellcheck: 'false', name: 'event' });
  eventInput.value = SAMPLE;
  const ruleInput = h('textarea', { rows: 6, class: 'mono', spellcheck: 'false', name: 'rule', placeholder: 'name: my-rule\nmatch: { topics: events.app, types: order.* }\nemit:\n  - topic: { name: events.agent }' });
  const status = statusLine();
  const results = h('div', { class: 'dry-run-results' });
  const form = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        let event: unknown;
        try {
          event = JSON.parse(eventInput.value);
        } catch (err) {
          status.textContent = `The event is not JSON: ${(err as Error).message}`;
          eventInput.focus();
          return;
        }
        status.textContent = 'Trying the rules…';
        try {
          const r = await post<DryRun>('/v1/routes/dry-run', { event, ...(ruleInput.value.trim() ? { rule: ruleInput.value } : {}) });
          const matched = r.results.filter((x) => x.matched).length;
          status.textContent = `${matched} of ${r.results.length} rule(s) match. Nothing was published.`;
          clear(
            results,
            h(
              'ul',
              { class: 'plain' },
              r.results.map((x) =>
                h(
                  'li',
                  { class: x.matched ? 'ok' : 'muted', 'data-rule': x.rule },
                  h('strong', {}, x.rule),
                  x.matched ? ' matches' : ` does not match: ${x.reason}`,
                  x.emits.map((m) => h('details', {}, h('summary', {}, `${m.kind} → ${m.target} (${m.outcome})`), m.event ? h('pre', { class: 'mono' }, pretty(m.event)) : null)),
                ),
              ),
            ),
          );
        } catch (err) {
          status.textContent = err instanceof ApiError ? err.describe() : String(err);
          clear(results);
        }
      },
    },
    field('Event (as POST /v1/events takes it)', eventInput),
    field('Rule to try (optional: YAML or JSON; empty tries the active rules)', ruleInput),
    h('button', { type: 'submit' }, 'Dry run'),
    status,
    results,
  );
  const dry = h('section', { class: 'card wide', 'aria-labelledby': 'h-dry' }, h('h2', { id: 'h-dry' }, 'Dry run'), form);
  clear(root, h('h1', {}, 'Routes'), h('div', { class: 'grid' }, routersEl, rulesEl, dry));

  return every(
    2000,
    async () => {
      const o = await get<Overview>('/v1/routes');
      const rej = o.lastRejected;
      clear(
        routersEl,
        h('h2', { id: 'h-routers' }, 'Routers'),
        o.routers.length ? h('ul', { class: 'plain' }, o.routers.map((r) => h('li', {}, h('span', { class: 'mono' }, r.process), ` — ${r.file}, loaded ${fmtTime(r.loadedAt)}`, r.stale ? ' (stale: no status for a while)' : '', r.rejectedNow ? ' (file on disk rejected)' : ''))) : h('p', {}, 'No router has reported yet.'),
        rej
          ? h('div', { class: rej.rejectedNow ? 'alert' : 'note', role: rej.rejectedNow ? 'alert' : null }, h('h3', {}, rej.rejectedNow ? 'The routes file on disk is rejected; the previous rules stay active' : `Last rejected routes file (${fmtTime(rej.at)})`), h('pre', { class: 'mono wrap' }, rej.error))
          : h('p', {}, 'No routes file has been rejected.'),
      );
      clear(
        rulesEl,
        h('h2', { id: 'h-rules' }, 'Active rules'),
        h(
          'table',
          {},
          h('caption', {}, `${o.rules.length} rule(s); counts since each router started`),
          h('thead', {}, h('tr', {}, ['Rule', 'Topics', 'Targets', 'Hits', 'Emitted', 'Skipped', 'Errors', 'Last hit'].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            {},
            o.rules.map((r) =>
              h(
                'tr',
                { 'data-rule': r.name },
                h('td', {}, h('details', {}, h('summary', {}, r.name, r.enabled ? '' : ' (disabled)'), r.description ? h('p', {}, r.description) : null, h('pre', { class: 'mono' }, pretty(r.config)))),
                h('td', { class: 'mono' }, r.topics.join(', ')),
                h('td', { class: 'mono' }, r.targets.join(', ')),
                h('td', { class: 'num hits' }, r.hits),
                h('td', { class: 'num' }, r.emitted),
                h('td', { class: 'num' }, r.skipped),
                h('td', { class: 'num', title: r.lastErrorMessage ?? '' }, r.errors, r.lastErrorMessage ? ` (${r.lastErrorMessage})` : ''),
                h('td', {}, fmtTime(r.lastHitAt)),
              ),
            ),
          ),
        ),
      );
    },
    onError,
  );
};
