import { ApiError, get, post, stream, StreamHandle } from '../api';
import { clear, field, fmtTime, h, pretty, statusLine } from '../dom';
import { Page } from './page';
import { TOPICS } from '../../../../libs/contracts/src/topic-names';

interface Topic {
  name: string;
  family: string;
  partitions: number;
  description: string;
}
interface FeedEvent {
  topic: string;
  partition: number;
  offset: string;
  timestamp: number;
  headers: Record<string, string>;
  event: { id: string; type: string; source: string; key?: string | null; payload?: unknown };
}

const ROW = 28;
const KEEP = 10_000;

/**
 * Catalogue, publish form and live tail. The tail keeps the newest 10,000 events and renders only
 * the rows in view, at most once per animation frame, so thousands of events per second do not
 * block the page.
 */
export const topicsPage: Page = (root, params, onError) => {
  let tail: StreamHandle | undefined;
  const selected = params[0] ?? TOPICS.eventsApp;
  const catalogue = h('section', { class: 'card', 'aria-labelledby': 'h-cat' }, h('h2', { id: 'h-cat' }, 'Catalogue'));
  const publish = h('section', { class: 'card', 'aria-labelledby': 'h-pub' });
  const live = h('section', { class: 'card wide', 'aria-labelledby': 'h-tail' });
  clear(root, h('h1', {}, 'Topics'), h('div', { class: 'grid' }, catalogue, publish, live));

  void get<{ topics: Topic[] }>('/v1/topics').then(({ topics }) => {
    clear(
      catalogue,
      h('h2', { id: 'h-cat' }, 'Catalogue'),
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Topic'), h('th', { scope: 'col' }, 'Family'), h('th', { scope: 'col' }, 'Partitions'))),
        h('tbody', {}, topics.map((t) => h('tr', {}, h('td', {}, h('a', { href: `#/topics/${encodeURIComponent(t.name)}`, title: t.description }, t.name)), h('td', {}, t.family), h('td', {}, String(t.partitions))))),
      ),
    );
    renderPublish(publish, topics, selected);
  }, onError);

  // Live tail.
  const events: FeedEvent[] = [];
  let paused = false;
  let held = 0;
  // Since the stream opened: events received, and events the gateway skipped because they came faster than it sends.
  let received = 0;
  let skipped = 0;
  let newest = 0;
  let ageShown = '';
  let dirty = true;
  const filters = { type: h('input', { name: 'type', placeholder: 'deal.* ', size: 14 }), key: h('input', { name: 'key', size: 10 }), source: h('input', { name: 'source', size: 10 }) };
  const state = h('span', { class: 'badge', role: 'status', 'aria-live': 'polite' }, 'connecting');
  const count = h('span', { class: 'muted' });
  const pause = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  const viewport = h('div', { class: 'viewport', tabindex: '0', role: 'list', 'aria-label': `Live events on ${selected}` });
  const spacer = h('div', { class: 'spacer-rows' });
  const rows = h('div', { class: 'rows' });
  viewport.append(spacer, rows);
  const detail = h('pre', { class: 'detail', tabindex: '0', 'aria-label': 'Selected event' }, 'Select an event to see its envelope, headers and payload.');
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
    dirty = true;
  });
  let connects = 0;
  const connect = () => {
    tail?.close();
    events.length = 0;
    received = skipped = newest = 0;
    dirty = true;
    const q = new URLSearchParams();
    for (const [k, el] of Object.entries(filters)) if (el.value.trim()) q.set(k, el.value.trim());
    // The recent events the gateway holds first (older than anything live), then the stream.
    const generation = ++connects;
    void get<{ events: FeedEvent[] }>(`/v1/topics/${encodeURIComponent(selected)}/tail?${q}`).then(({ events: recent }) => {
      if (generation !== connects) return; // the filter changed meanwhile
      const have = new Set(events.map((e) => `${e.partition}/${e.offset}`));
      const older = recent.filter((e) => !have.has(`${e.partition}/${e.offset}`));
      events.unshift(...older.slice(-Math.max(0, KEEP - events.length)));
      for (const e of older) if (e.timestamp > newest) newest = e.timestamp;
      dirty = true;
    }, onError);
    tail = stream(`/v1/topics/${encodeURIComponent(selected)}/tail?${q}`, {
      events: (batch) => {
        if (paused) held += batch.length;
        for (const e of batch as FeedEvent[]) {
          events.push(e);
          if (e.timestamp > newest) newest = e.timestamp;
        }
        received += batch.length;
        if (events.length > KEEP) events.splice(0, events.length - KEEP);
        dirty = true;
      },
      dropped: (n) => {
        skipped += n;
        dirty = true;
      },
      state: (s, d) => {
        state.textContent = s === 'live' ? 'live' : s === 'connecting' ? 'connecting' : `reconnecting${d ? `: ${d}` : ''}`;
        state.className = `badge ${s === 'live' ? 'ok' : 'warn'}`;
      },
    });
  };
  const filterForm = h(
    'form',
    { class: 'inline', onsubmit: (e: Event) => (e.preventDefault(), connect()) },
    field('Type', filters.type),
    field('Key', filters.key),
    field('Source', filters.source),
    h('button', { type: 'submit' }, 'Apply filter'),
  );
  clear(live, h('h2', { id: 'h-tail' }, 'Live tail: ', h('code', {}, selected), ' ', state), filterForm, h('div', { class: 'toolbar' }, pause, count), h('div', { class: 'split' }, viewport, detail));

  let shown: FeedEvent[] = [];
  const select = (e: FeedEvent) => {
    clear(detail, pretty({ topic: e.topic, partition: e.partition, offset: e.offset, timestamp: e.timestamp, headers: e.headers, envelope: e.event }));
    detail.append(h('br'), h('a', { href: `#/lineage/${encodeURIComponent(e.event.id)}` }, 'Open lineage'));
  };
  const render = () => {
    if (dirty && !paused) {
      shown = events.slice();
      held = 0;
    }
    if (dirty) {
      const kept = shown.length >= KEEP ? ' (the newest kept)' : '';
      const fast = skipped ? `, ${skipped} more not shown (arriving faster than a tail sends)` : '';
      count.textContent = `${shown.length} listed${kept}; ${received} arrived live${fast}${paused ? `, ${held} held while paused` : ''}${ageShown}`;
      count.dataset.received = String(received);
      count.dataset.skipped = String(skipped);
      count.dataset.newest = String(newest);
      spacer.style.height = `${shown.length * ROW}px`;
    }
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - 5);
    const last = Math.min(shown.length, first + Math.ceil(viewport.clientHeight / ROW) + 10);
    const frag: HTMLElement[] = [];
    // Newest first.
    for (let i = first; i < last; i++) {
      const e = shown[shown.length - 1 - i];
      frag.push(
        h(
          'button',
          { type: 'button', class: 'row', role: 'listitem', style: `top:${i * ROW}px`, onclick: () => select(e), 'data-event-id': e.event.id },
          h('span', { class: 'mono' }, fmtTime(e.timestamp)),
          h('span', { class: 'mono' }, `${e.partition}/${e.offset}`),
          h('span', {}, e.event.type),
          h('span', { class: 'muted' }, e.event.key ?? ''),
          h('span', { class: 'muted' }, e.event.source),
        ),
      );
    }
    rows.replaceChildren(...frag);
    dirty = false;
  };
  let raf = 0;
  let lastTop = -1;
  const loop = () => {
    // How far behind the topic the tail is: the newest event's age, to the second.
    const age = newest ? `; newest ${Math.max(0, Math.round((Date.now() - newest) / 1000))} s ago` : '';
    if (age !== ageShown) {
      ageShown = age;
      dirty = true;
    }
    if (dirty || viewport.scrollTop !== lastTop) {
      lastTop = viewport.scrollTop;
      render();
    }
    raf = requestAnimationFrame(loop);
  };
  raf = requestAnimationFrame(loop);
  connect();
  return () => {
    tail?.close();
    cancelAnimationFrame(raf);
  };
};

function renderPublish(section: HTMLElement, topics: Topic[], selected: string): void {
  const topic = h('select', { name: 'topic' }, topics.map((t) => h('option', { value: t.name, selected: t.name === selected }, t.name)));
  const type = h('input', { name: 'type', required: true, value: 'deal.updated' });
  const key = h('input', { name: 'key', value: 'deal-42' });
  const payload = h('textarea', { name: 'payload', rows: 5, spellcheck: 'false' });
  payload.value = '{"stage":"closed-won","amount":1200}';
  const status = statusLine();
  const form = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        let body: unknown;
        try {
          body = JSON.parse(payload.value);
        } catch (err) {
          status.textContent = `Payload is not JSON: ${(err as Error).message}`;
          payload.setAttribute('aria-invalid', 'true');
          return;
        }
        payload.removeAttribute('aria-invalid');
        try {
          const r = await post<{ id: string; partition: number; offset: string }>('/v1/events', { topic: topic.value, type: type.value, ...(key.value ? { key: key.value } : {}), payload: body });
          clear(status, `Published ${r.id} at ${topic.value} ${r.partition}/${r.offset}. `, h('a', { href: `#/lineage/${r.id}` }, 'Open its lineage'));
          status.dataset.eventId = r.id;
        } catch (err) {
          status.textContent = err instanceof ApiError ? err.describe() : String(err);
        }
      },
    },
    field('Topic', topic),
    field('Type', type),
    field('Key', key, 'Events with the same key stay in order'),
    field('Payload (JSON)', payload),
    h('button', { type: 'submit' }, 'Publish'),
    status,
  );
  clear(section, h('h2', { id: 'h-pub' }, 'Publish an event'), form);
}
