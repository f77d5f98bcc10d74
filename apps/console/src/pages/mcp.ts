import { ApiError, get, post } from '../api';
import { clear, field, h, pretty, statusLine } from '../dom';
import { every, Page } from './page';
import { parseMetrics, total } from '../metrics';
import { mcpCommandsTopic } from '../../../../libs/contracts/src/topic-names';

interface Tool {
  name: string;
  description?: string;
  inputSchema?: { properties?: Record<string, { type?: string; description?: string }>; required?: string[] };
}
interface Server {
  server: string;
  status?: string;
  tools: Tool[];
}

/** A form generated from a tool's input schema; the call goes out as a command on mcp.commands.<server>. */
function toolForm(server: string, tool: Tool): HTMLElement {
  const props = Object.entries(tool.inputSchema?.properties ?? {});
  const required = new Set(tool.inputSchema?.required ?? []);
  const inputs = props.map(([name, p]) => [name, p, h('input', { name, required: required.has(name), type: p.type === 'number' || p.type === 'integer' ? 'number' : 'text' })] as const);
  const status = statusLine();
  return h(
    'form',
    {
      class: 'tool-form',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const args: Record<string, unknown> = {};
        for (const [name, p, el] of inputs) {
          if (el.value === '') continue;
          args[name] = p.type === 'number' || p.type === 'integer' ? Number(el.value) : p.type === 'boolean' ? el.value === 'true' : p.type === 'object' || p.type === 'array' ? JSON.parse(el.value) : el.value;
        }
        try {
          const r = await post<{ id: string }>('/v1/events', { topic: mcpCommandsTopic(server), type: 'mcp.command', key: `console-${tool.name}`, payload: { server, tool: tool.name, arguments: args, idempotencyKey: `console-${crypto.randomUUID()}`, deadline: null, timeoutMs: null, taskId: null, stepId: null, rule: null } });
          clear(status, 'Sent. ', h('a', { href: `#/lineage/${r.id}` }, 'Follow the call and its result'));
        } catch (err) {
          status.textContent = err instanceof ApiError ? err.describe() : String(err);
        }
      },
    },
    inputs.map(([name, p, el]) => field(`${name}${required.has(name) ? ' *' : ''}`, el, p.description)),
    h('button', { type: 'submit' }, `Call ${tool.name}`),
    status,
  );
}

/** MCP servers from the capability registry: tools with schemas, calls/errors per tool, a form per tool. */
export const mcpPage: Page = (root, _params, onError) => {
  const out = h('div', { class: 'grid' });
  clear(root, h('h1', {}, 'MCP servers'), out);
  let rendered = '';
  return every(
    5000,
    async () => {
      const [{ servers }, metrics] = await Promise.all([get<{ servers: Server[] }>('/v1/capabilities'), fetch('/metrics').then(async (r) => parseMetrics(await r.text()))]);
      const sig = JSON.stringify(servers.map((s) => [s.server, s.tools.map((t) => t.name)]));
      if (sig === rendered) return;
      rendered = sig;
      clear(
        out,
        servers.map((s) =>
          h(
            'section',
            { class: 'card', 'aria-label': `Server ${s.server}` },
            h('h2', {}, s.server, ' ', h('span', { class: 'badge ok' }, s.status ?? 'registered')),
            s.tools.map((t) =>
              h(
                'details',
                {},
                h('summary', {}, t.name, ' ', h('span', { class: 'muted' }, `${total(metrics, 'phoenix_mcp_call_duration_seconds_count', { server: s.server, tool: t.name })} call(s)`)),
                h('p', {}, t.description ?? ''),
                h('pre', {}, pretty(t.inputSchema ?? {})),
                toolForm(s.server, t),
              ),
            ),
          ),
        ),
      );
    },
    onError,
  );
};
