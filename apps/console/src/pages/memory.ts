import { ApiError, get } from '../api';
import { clear, field, h, pretty, statusLine } from '../dom';
import { Page } from './page';

interface Hit {
  id: string;
  text: string;
  score: number;
  metadata: Record<string, unknown>;
}

/** Semantic memory search with scores and metadata, optionally for one user. */
export const memoryPage: Page = (root, params) => {
  const q = h('input', { name: 'q', required: true, size: 40, value: params[0] ?? '' });
  const user = h('input', { name: 'userId', size: 16 });
  const status = statusLine();
  const results = h('ol', { class: 'hits', 'aria-label': 'Memories, best first' });
  const search = async () => {
    const qs = new URLSearchParams({ q: q.value, limit: '20' });
    if (user.value.trim()) qs.set('userId', user.value.trim());
    status.textContent = 'Searching…';
    try {
      const { memories } = await get<{ memories: Hit[] }>(`/v1/memory/search?${qs}`);
      status.textContent = `${memories.length} memor${memories.length === 1 ? 'y' : 'ies'}.`;
      clear(results, memories.map((m) => h('li', {}, h('p', {}, m.text), h('p', { class: 'muted' }, `score ${m.score.toFixed(3)} · ${m.metadata.topic ?? ''} · ${m.metadata.type ?? ''}`), h('details', {}, h('summary', {}, 'Metadata'), h('pre', {}, pretty(m.metadata))))));
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.describe() : String(err);
    }
  };
  const form = h('form', { class: 'inline', onsubmit: (e: Event) => (e.preventDefault(), void search()) }, field('Search', q), field('User', user), h('button', { type: 'submit' }, 'Search memory'));
  clear(root, h('h1', {}, 'Memory'), h('section', { class: 'card wide' }, form, status, results));
  if (q.value) void search();
  return () => undefined;
};
