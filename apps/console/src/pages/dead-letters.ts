import { ApiError, get, post } from '../api';
import { clear, fmtTime, h, statusLine } from '../dom';
import { every, Page } from './page';

interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  timestamp: number;
  key: string | null;
  originalPosition: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  errorKind: string | null;
  attempts: number | null;
  event: { id: string; type: string } | null;
  redriven: { topic: string; partition: number; offset: string; eventId: string | null } | null;
}

/** Dead letters per DLQ topic; redrive one, a selection or all. */
export const deadLettersPage: Page = (root, params, onError) => {
  const topicsEl = h('section', { class: 'card', 'aria-labelledby': 'h-dlqs' });
  const listEl = h('section', { class: 'card wide', 'aria-labelledby': 'h-dl' });
  const status = statusLine();
  clear(root, h('h1', {}, 'Dead letters'), h('div', { class: 'grid' }, topicsEl, listEl));
  const current = params[0];
  const chosen = new Set<string>();
  const pos = (d: DeadLetter) => `${d.partition}/${d.offset}`;

  const redrive = async (body: unknown) => {
    try {
      const r = await post<{ redriven: number; failed: number; results: ({ position: string; to: string; offset: string } | { position: string; error: string })[] }>(`/v1/dlq/${encodeURIComponent(current!)}/redrive`, body);
      status.textContent = `Redriven ${r.redriven}, failed ${r.failed}. ${r.results.map((x) => ('error' in x ? `${x.position}: ${x.error}` : `${x.position} → ${x.to} @${x.offset}`)).join('; ')}`;
      chosen.clear();
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.describe() : String(err);
    }
  };

  const stop = every(
    2000,
    async () => {
      const { topics } = await get<{ topics: { topic: string; held: number; redriven: number }[] }>('/v1/dlq');
      clear(
        topicsEl,
        h('h2', { id: 'h-dlqs' }, 'DLQ topics'),
        h('ul', { class: 'plain' }, topics.filter((t) => t.held || t.topic === current).map((t) => h('li', {}, h('a', { href: `#/dlq/${encodeURIComponent(t.topic)}`, 'aria-current': t.topic === current ? 'page' : null }, t.topic), ` — ${t.held} held, ${t.redriven} redriven`))),
        topics.some((t) => t.held) ? null : h('p', {}, 'No dead letters.'),
      );
      if (!current) {
        clear(listEl, h('h2', { id: 'h-dl' }, 'Pick a DLQ topic'));
        return;
      }
      const { deadLetters } = await get<{ deadLetters: DeadLetter[] }>(`/v1/dlq/${encodeURIComponent(current)}`);
      const table = h(
        'table',
        {},
        h('caption', {}, `${deadLetters.length} dead letter(s) on ${current}`),
        h('thead', {}, h('tr', {}, ['Select', 'Position', 'Failed at', 'Event', 'Reason', 'First read at', 'Redriven'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          deadLetters.map((d) => {
            const box = h('input', { type: 'checkbox', 'aria-label': `select ${pos(d)}`, checked: chosen.has(pos(d)), disabled: !!d.redriven });
            box.addEventListener('change', () => (box.checked ? chosen.add(pos(d)) : chosen.delete(pos(d))));
            return h(
              'tr',
              { 'data-position': pos(d) },
              h('td', {}, box),
              h('td', { class: 'mono' }, pos(d)),
              h('td', {}, fmtTime(d.timestamp)),
              h('td', {}, d.event ? h('a', { href: `#/lineage/${d.event.id}` }, d.event.type) : 'undecodable'),
              h('td', {}, `${d.errorKind ?? ''} ${d.errorCode ?? ''}: ${d.errorMessage ?? ''} (${d.attempts ?? '?'} attempt(s))`),
              h('td', { class: 'mono' }, d.originalPosition ?? ''),
              h('td', { class: 'redriven' }, d.redriven ? h('span', {}, `→ ${d.redriven.topic} ${d.redriven.partition}/${d.redriven.offset} `, d.redriven.eventId ? h('a', { href: `#/lineage/${d.redriven.eventId}` }, 'outcome') : null) : 'no'),
            );
          }),
        ),
      );
      clear(
        listEl,
        h('h2', { id: 'h-dl' }, current),
        h(
          'div',
          { class: 'toolbar' },
          h('button', { type: 'button', onclick: () => void redrive({ positions: [...chosen].map((p) => ({ partition: Number(p.split('/')[0]), offset: p.split('/')[1] })) }) }, 'Redrive selected'),
          h('button', { type: 'button', onclick: () => void redrive({ all: true }) }, 'Redrive all'),
        ),
        status,
        table,
      );
    },
    onError,
  );
  return stop;
};
