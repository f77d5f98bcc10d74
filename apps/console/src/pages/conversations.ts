import { ApiError, get, post, stream } from '../api';
import { clear, field, fmtTime, h, statusLine } from '../dom';
import { Page } from './page';

interface Chat {
  event: { id: string; correlationId?: string | null; occurredAt: number; payload: { conversationId: string; role: string; text: string; userId?: string | null; responseId?: string | null } };
}

/** A chat view over interactions.chat; every assistant message can be rated, thumbed or corrected. */
export const conversationsPage: Page = (root) => {
  const status = statusLine();
  const list = h('ol', { class: 'chat', 'aria-label': 'Messages, oldest first' });
  const seen = new Set<string>();
  const feedback = async (c: Chat, body: Record<string, unknown>) => {
    try {
      const r = await post<{ feedbackId?: string }>('/v1/interactions/feedback', { responseId: c.event.payload.responseId, ...(c.event.payload.userId ? { userId: c.event.payload.userId } : {}), ...(c.event.correlationId ? { correlationId: c.event.correlationId } : {}), ...body });
      status.textContent = `Feedback recorded${r.feedbackId ? ` (${r.feedbackId})` : ''}.`;
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.describe() : String(err);
    }
  };
  const add = (c: Chat) => {
    if (seen.has(c.event.id)) return;
    seen.add(c.event.id);
    const p = c.event.payload;
    const li = h('li', { class: `msg ${p.role}`, 'data-response-id': p.responseId ?? '' }, h('p', { class: 'muted' }, `${p.role}${p.userId ? ` · ${p.userId}` : ''} · ${p.conversationId} · ${fmtTime(Number(c.event.occurredAt))}`), h('p', {}, p.text));
    if (p.role === 'assistant' && p.responseId) {
      const rating = h('select', { 'aria-label': 'Rating 1 to 5' }, ['', '1', '2', '3', '4', '5'].map((v) => h('option', { value: v }, v || 'rate…')));
      rating.addEventListener('change', () => rating.value && void feedback(c, { kind: 'rating', rating: Number(rating.value) }));
      const correction = h('input', { 'aria-label': 'Suggested correction', placeholder: 'Suggest a correction' });
      li.append(
        h(
          'div',
          { class: 'toolbar' },
          h('button', { type: 'button', 'aria-label': 'Thumbs up', onclick: () => void feedback(c, { kind: 'thumbs', thumbs: 'up' }) }, '👍'),
          h('button', { type: 'button', 'aria-label': 'Thumbs down', onclick: () => void feedback(c, { kind: 'thumbs', thumbs: 'down' }) }, '👎'),
          rating,
          h('form', { class: 'inline', onsubmit: (e: Event) => (e.preventDefault(), void feedback(c, { kind: 'correction', correction: correction.value })) }, correction, h('button', { type: 'submit' }, 'Send correction')),
        ),
      );
    }
    list.append(li);
  };
  const conv = h('input', { name: 'conversationId', value: 'conv-console', required: true });
  const role = h('select', { name: 'role' }, ['user', 'assistant'].map((r) => h('option', { value: r }, r)));
  const text = h('input', { name: 'text', required: true, size: 40 });
  const user = h('input', { name: 'userId', value: 'console-user' });
  const form = h(
    'form',
    {
      class: 'inline',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          await post('/v1/interactions/chat', { conversationId: conv.value, role: role.value, text: text.value, ...(user.value ? { userId: user.value } : {}) });
          text.value = '';
          status.textContent = 'Message recorded.';
        } catch (err) {
          status.textContent = err instanceof ApiError ? err.describe() : String(err);
        }
      },
    },
    field('Conversation', conv),
    field('Role', role),
    field('User', user),
    field('Message', text),
    h('button', { type: 'submit' }, 'Record message'),
  );
  const state = h('span', { class: 'badge' }, 'connecting');
  clear(root, h('h1', {}, 'Conversations & feedback'), h('section', { class: 'card wide' }, h('p', {}, 'Live from interactions.chat ', state), form, status, list), datasetCard());
  const s = stream('/v1/topics/interactions.chat/tail', {
    events: (batch) => (batch as Chat[]).forEach(add),
    state: (st, d) => {
      state.textContent = st === 'live' ? 'live' : `${st}${d ? `: ${d}` : ''}`;
      state.className = `badge ${st === 'live' ? 'ok' : 'warn'}`;
    },
  });
  return () => s.close();
};

interface Dataset {
  messages: number;
  feedback: number;
  skipped: number;
  pairs: unknown[];
  sft: unknown[];
}

/** Builds the preference dataset from every chat message and feedback on the bus, and offers it as JSONL files. */
function datasetCard(): HTMLElement {
  const status = statusLine();
  const links = h('div', { class: 'toolbar' });
  const download = (name: string, records: unknown[]) => {
    const url = URL.createObjectURL(new Blob([records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '')], { type: 'application/x-ndjson' }));
    return h('a', { href: url, download: name, class: 'button' }, `Download ${name} (${records.length})`);
  };
  const build = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        build.setAttribute('disabled', '');
        status.textContent = 'Reading interactions.chat and interactions.feedback…';
        clear(links);
        try {
          const d = await get<Dataset>('/v1/datasets/preferences');
          status.textContent = `From ${d.messages} message(s) and ${d.feedback} feedback event(s): ${d.pairs.length} preference pair(s), ${d.sft.length} SFT record(s).`;
          clear(links, download('preference_pairs.jsonl', d.pairs), download('sft.jsonl', d.sft));
        } catch (err) {
          status.textContent = err instanceof ApiError ? err.describe() : String(err);
        } finally {
          build.removeAttribute('disabled');
        }
      },
    },
    'Build preference dataset',
  );
  return h(
    'section',
    { class: 'card wide', 'aria-labelledby': 'h-dataset' },
    h('h2', { id: 'h-dataset' }, 'Preference dataset'),
    h('p', {}, 'Corrections become (prompt, correction ≻ answer) pairs; answers to one prompt rated differently become ranking pairs; well-rated answers become SFT records. The same as `phoenix replay preferences`.'),
    build,
    status,
    links,
  );
}
