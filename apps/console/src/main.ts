import './style.css';
import { ApiError, apiKey, connection, get } from './api';
import { clear, field, h, statusLine } from './dom';
import { Page } from './pages/page';
import { overviewPage } from './pages/overview';
import { topicsPage } from './pages/topics';
import { lineagePage } from './pages/lineage';
import { deadLettersPage } from './pages/dead-letters';
import { memoryPage } from './pages/memory';
import { conversationsPage } from './pages/conversations';
import { tasksPage } from './pages/tasks';
import { mcpPage } from './pages/mcp';
import { routesPage } from './pages/routes';

const PAGES: { path: string; label: string; page: Page }[] = [
  { path: 'overview', label: 'Overview', page: overviewPage },
  { path: 'topics', label: 'Topics', page: topicsPage },
  { path: 'lineage', label: 'Lineage', page: lineagePage },
  { path: 'routes', label: 'Routes', page: routesPage },
  { path: 'mcp', label: 'MCP servers', page: mcpPage },
  { path: 'tasks', label: 'Tasks', page: tasksPage },
  { path: 'dlq', label: 'Dead letters', page: deadLettersPage },
  { path: 'memory', label: 'Memory', page: memoryPage },
  { path: 'conversations', label: 'Conversations', page: conversationsPage },
];

const app = document.getElementById('app')!;
let cleanup: (() => void) | undefined;

function theme(): void {
  const saved = localStorage.getItem('phoenix.theme');
  if (saved) document.documentElement.dataset.theme = saved;
}

function toggleTheme(): void {
  const dark = document.documentElement.dataset.theme ? document.documentElement.dataset.theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  const next = dark ? 'light' : 'dark';
  document.documentElement.dataset.theme = next;
  localStorage.setItem('phoenix.theme', next);
}

function login(): void {
  cleanup?.();
  cleanup = undefined;
  const input = h('input', { type: 'password', autocomplete: 'current-password', required: true, name: 'key', spellcheck: 'false' });
  const status = statusLine();
  const form = h(
    'form',
    {
      class: 'card login',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        apiKey.set(input.value.trim());
        status.textContent = 'Checking the key…';
        try {
          await get('/v1/topics');
          route();
        } catch (err) {
          apiKey.clear();
          status.textContent = err instanceof ApiError ? err.describe() : String(err);
          input.focus();
        }
      },
    },
    h('h1', {}, 'Phoenix Console'),
    h('p', {}, 'Sign in with a Phoenix API key (PHOENIX_API_KEYS; `npm start` prints the local one). It stays in this tab only.'),
    field('API key', input),
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  clear(app, h('main', { id: 'main', class: 'login-wrap' }, form));
  input.focus();
}

function shell(active: string): HTMLElement {
  const dot = h('span', { class: `conn ${connection.online ? 'up' : 'down'}`, role: 'status', 'aria-live': 'polite' }, connection.online ? 'connected' : 'connection lost — retrying');
  connection.onChange((up) => {
    dot.className = `conn ${up ? 'up' : 'down'}`;
    dot.textContent = up ? 'connected' : 'connection lost — retrying';
  });
  const nav = h(
    'nav',
    { 'aria-label': 'Console pages' },
    h('ul', {}, PAGES.map((p) => h('li', {}, h('a', { href: `#/${p.path}`, 'aria-current': p.path === active ? 'page' : null }, p.label)))),
  );
  const main = h('main', { id: 'main', tabindex: '-1' });
  clear(
    app,
    h(
      'header',
      { class: 'top' },
      h('span', { class: 'brand' }, 'Phoenix'),
      dot,
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'ghost', onclick: toggleTheme }, 'Light / dark'),
      h('button', { type: 'button', class: 'ghost', onclick: () => (apiKey.clear(), login()) }, 'Sign out'),
    ),
    h('div', { class: 'layout' }, nav, main),
  );
  return main;
}

function route(): void {
  if (!apiKey.get()) return login();
  const [path = 'overview', ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const entry = PAGES.find((p) => p.path === path) ?? PAGES[0];
  cleanup?.();
  const main = shell(entry.path);
  document.title = `${entry.label} · Phoenix Console`;
  cleanup = entry.page(main, params, (err) => {
    if (err instanceof ApiError && err.status === 401) {
      apiKey.clear();
      login();
    }
  });
}

theme();
window.addEventListener('hashchange', route);
route();
