import { ApiError, get } from '../api';
import { clear, field, fmtMs, h, statusLine } from '../dom';
import { every, Page } from './page';

interface LNode {
  id: string;
  hidden?: true;
  type?: string;
  source?: string;
  topic?: string;
  partition?: number;
  offset?: string;
  preview?: string;
}
interface Tree {
  node: LNode;
  afterRootMs: number | null;
  children: Tree[];
}
interface Lineage {
  eventId: string;
  root: Tree;
  path: string[];
  causeOutsideIndex: string | null;
  nodes: number;
  truncated: boolean;
  memories: { memoryId: string | null; op: string }[];
  warehouse: { group: string; rows: Record<string, 'stored' | 'pending'>; error?: string };
}

function renderTree(t: Tree, focus: string, rows: Lineage['warehouse']['rows'], level = 1): HTMLElement {
  const n = t.node;
  const row = rows[n.id];
  const label = n.hidden
    ? h('span', { class: 'muted' }, `${n.id} (on a topic this key may not read)`)
    : h('span', {}, h('code', {}, n.topic!), ' ', h('strong', {}, n.type!), ' ', h('span', { class: 'muted' }, `from ${n.source} · +${fmtMs(t.afterRootMs)}`), row ? h('span', { class: `badge ${row === 'stored' ? 'ok' : 'warn'}`, 'data-warehouse': row }, row === 'stored' ? 'warehouse row' : 'warehouse pending') : null, h('div', { class: 'preview mono' }, n.preview ?? ''));
  const li = h('li', { role: 'treeitem', 'aria-level': level, 'aria-expanded': t.children.length ? 'true' : null, class: n.id === focus ? 'focus' : null, 'data-topic': n.topic ?? '', 'data-type': n.type ?? '' }, label);
  if (t.children.length) li.append(h('ul', { role: 'group' }, t.children.map((c) => renderTree(c, focus, rows, level + 1))));
  return li;
}

/** Lineage of one event: its causes up to the first known, everything it caused, with timings. Refreshes while effects arrive. */
export const lineagePage: Page = (root, params, onError) => {
  const input = h('input', { name: 'eventId', size: 40, value: params[0] ?? '', required: true, spellcheck: 'false' });
  const status = statusLine();
  const out = h('div', {});
  const form = h('form', { class: 'inline', onsubmit: (e: Event) => (e.preventDefault(), (location.hash = `#/lineage/${encodeURIComponent(input.value.trim())}`)) }, field('Event id', input), h('button', { type: 'submit' }, 'Show lineage'));
  clear(root, h('h1', {}, 'Lineage'), h('section', { class: 'card wide' }, form, status, out));
  const id = params[0];
  if (!id) {
    status.textContent = 'Give an event id (every receipt and tail row has one).';
    return () => undefined;
  }
  let changes = 0;
  let last = '';
  const stop = every(
    1500,
    async () => {
      try {
        const l = await get<Lineage>(`/v1/lineage/${encodeURIComponent(id)}`);
        const sig = JSON.stringify([l.root, l.warehouse.rows]);
        if (sig !== last) {
          last = sig;
          changes = 0;
          clear(
            out,
            h('p', {}, `${l.nodes} event(s)${l.truncated ? ' (cut; more exist)' : ''}.`, l.causeOutsideIndex ? ` Its first cause (${l.causeOutsideIndex}) is older than what the gateway has read.` : ''),
            h('ul', { role: 'tree', class: 'tree', 'aria-label': `Lineage of ${id}` }, renderTree(l.root, id, l.warehouse.rows)),
            h(
              'p',
              { class: 'stores' },
              l.memories.length ? `Memories: ${l.memories.map((m) => `${m.op === 'delete' ? 'deleted' : 'added'} ${m.memoryId}`).join(', ')}. ` : 'No memory written for these events. ',
              l.warehouse.error ? l.warehouse.error : `Warehouse (RAW_EVENTS, written by ${l.warehouse.group}): ${Object.values(l.warehouse.rows).filter((r) => r === 'stored').length} row(s) stored, ${Object.values(l.warehouse.rows).filter((r) => r === 'pending').length} pending.`,
            ),
          );
        }
        status.textContent = changes++ > 20 ? 'No change for 30 s.' : 'Following: effects appear as they happen.';
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) status.textContent = `${err.message} (it may not have been read yet).`;
        else throw err;
      }
    },
    onError,
  );
  return stop;
};
