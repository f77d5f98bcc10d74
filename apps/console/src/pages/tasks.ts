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
  plan: { stepId: string; dependsOn: string[] }[] | null;
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
          o.plan ? planGraph(o.plan, o.steps) : null,
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

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag: string, attrs: Record<string, string | number>, text?: string): SVGElement => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
};

/** The plan as a graph: a column per depth (a step sits right of what it depends on), an arrow per dependency, coloured by state. */
function planGraph(plan: { stepId: string; dependsOn: string[] }[], steps: Step[]): Element {
  const depth = new Map<string, number>();
  const of = (id: string, seen = new Set<string>()): number => {
    if (depth.has(id)) return depth.get(id)!;
    if (seen.has(id)) return 0;
    seen.add(id);
    const deps = plan.find((p) => p.stepId === id)?.dependsOn ?? [];
    const d = deps.length ? 1 + Math.max(...deps.map((x) => of(x, seen))) : 0;
    depth.set(id, d);
    return d;
  };
  plan.forEach((p) => of(p.stepId));
  const W = 180;
  const H = 56;
  const GX = 60;
  const GY = 16;
  const rows = new Map<number, number>();
  const pos = new Map<string, { x: number; y: number }>();
  for (const p of plan) {
    const d = depth.get(p.stepId)!;
    const r = rows.get(d) ?? 0;
    rows.set(d, r + 1);
    pos.set(p.stepId, { x: d * (W + GX), y: r * (H + GY) });
  }
  const width = Math.max(...[...pos.values()].map((p) => p.x)) + W + 2;
  const height = Math.max(...[...pos.values()].map((p) => p.y)) + H + 2;
  const byId = new Map(steps.map((s) => [s.stepId, s]));
  const root = svg('svg', { class: 'plan-graph', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Plan: ${plan.map((p) => `${p.stepId} ${byId.get(p.stepId)?.status ?? 'pending'}${p.dependsOn.length ? ` after ${p.dependsOn.join(' and ')}` : ''}`).join('; ')}` });
  const defs = svg('defs', {});
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'edge-head' }));
  defs.append(marker);
  root.append(defs);
  for (const p of plan) {
    const to = pos.get(p.stepId)!;
    for (const d of p.dependsOn) {
      const from = pos.get(d);
      if (from) root.append(svg('line', { x1: from.x + W, y1: from.y + H / 2, x2: to.x, y2: to.y + H / 2, class: 'edge', 'marker-end': 'url(#arrow)' }));
    }
  }
  for (const p of plan) {
    const { x, y } = pos.get(p.stepId)!;
    const s = byId.get(p.stepId);
    const state = s?.status ?? 'pending';
    const g = svg('g', { class: `node ${state === 'ok' ? 'ok' : state === 'pending' || state === 'dispatched' ? 'warn' : state === 'skipped' ? 'muted' : 'bad'}`, 'data-step': p.stepId, 'data-status': state });
    g.append(svg('rect', { x: x + 1, y: y + 1, width: W - 2, height: H - 2, rx: 6 }));
    g.append(svg('text', { x: x + 10, y: y + 22 }, p.stepId));
    g.append(svg('text', { x: x + 10, y: y + 42, class: 'sub' }, `${state}${s?.durationMs !== null && s?.durationMs !== undefined ? ` · ${fmtMs(s.durationMs)}` : ''}`));
    root.append(g);
  }
  return root;
}
