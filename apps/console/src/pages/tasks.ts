import { ApiError, get, post } from '../api';
import { clear, field, fmtMs, h, pretty, statusLine } from '../dom';
import { every, Page } from './page';

interface TaskRow {
  taskId: string;
  goal: string;
  status: string;
  steps: number;
  stepsDone: number;
  durationMs: number | null;
}
interface Step {
  stepId: string;
  server: string | null;
  tool: string | null;
  status: string;
  result: unknown;
  error: unknown;
  durationMs: number | null;
}
interface Outcome {
  taskId: string;
  goal: string;
  status: string;
  planner: string | null;
  steps: Step[];
  error: unknown;
  durationMs: number | null;
}

/** Supervisor tasks: list, start from a playbook, one task's steps with state and timings. */
export const tasksPage: Page = (root, params, onError) => {
  const goal = h('input', { name: 'goal', required: true, size: 36, value: 'summarize the echo' });
  const playbook = h('input', { name: 'playbook', size: 20, placeholder: 'e.g. echo_probe' });
  const inputs = h('textarea', { name: 'inputs', rows: 2, spellcheck: 'false' });
  inputs.value = '{}';
  const status = statusLine();
  const form = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          const r = await post<{ taskId: string }>('/v1/tasks', { goal: goal.value, ...(playbook.value ? { playbook: playbook.value } : {}), inputs: JSON.parse(inputs.value || '{}') });
          location.hash = `#/tasks/${r.taskId}`;
        } catch (err) {
          status.textContent = err instanceof ApiError ? err.describe() : String(err);
        }
      },
    },
    field('Goal', goal),
    field('Playbook', playbook, 'Leave empty to let the supervisor choose'),
    field('Inputs (JSON)', inputs),
    h('button', { type: 'submit' }, 'Start task'),
    status,
  );
  const listEl = h('section', { class: 'card', 'aria-labelledby': 'h-tasks' });
  const one = h('section', { class: 'card wide', 'aria-labelledby': 'h-task' });
  clear(root, h('h1', {}, 'Tasks'), h('div', { class: 'grid' }, h('section', { class: 'card' }, h('h2', {}, 'Start a task'), form), listEl, one));
  const id = params[0];
  return every(
    1000,
    async () => {
      const { tasks } = await get<{ tasks: TaskRow[] }>('/v1/tasks');
      clear(listEl, h('h2', { id: 'h-tasks' }, 'Recent tasks'), h('ul', { class: 'plain' }, tasks.slice(0, 30).map((t) => h('li', {}, h('a', { href: `#/tasks/${t.taskId}` }, t.goal), ` — ${t.status}, ${t.stepsDone}/${t.steps} steps, ${fmtMs(t.durationMs)}`))));
      if (!id) return;
      try {
        const o = await get<Outcome>(`/v1/tasks/${encodeURIComponent(id)}`);
        clear(
          one,
          h('h2', { id: 'h-task' }, o.goal, ' ', h('span', { class: `badge task-status ${o.status === 'succeeded' ? 'ok' : o.status === 'failed' ? 'bad' : 'warn'}` }, o.status)),
          h('p', { class: 'muted' }, `${o.taskId} · planner ${o.planner ?? '—'} · ${fmtMs(o.durationMs)}`),
          h('ol', { class: 'steps' }, o.steps.map((s) => h('li', { 'data-step': s.stepId, 'data-status': s.status }, h('strong', {}, s.stepId), ` ${s.server ?? ''}/${s.tool ?? ''} — `, h('span', { class: `badge ${s.status === 'ok' ? 'ok' : s.status === 'pending' || s.status === 'dispatched' ? 'warn' : 'bad'}` }, s.status), ` ${fmtMs(s.durationMs)}`, s.result !== null && s.result !== undefined ? h('details', {}, h('summary', {}, 'Result'), h('pre', {}, pretty(s.result))) : null))),
          o.error ? h('pre', { class: 'error' }, pretty(o.error)) : null,
        );
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) clear(one, h('h2', { id: 'h-task' }, id), h('p', {}, 'Queued: the supervisor has not stored it yet.'));
        else throw err;
      }
    },
    onError,
  );
};
