import * as net from 'node:net';

/** What the edge has done and holds now, from HAProxy's `show stat`. */
export interface EdgeStats {
  /** Publish requests answered 429 by the edge since it started. */
  shed: number;
  /** Publish requests waiting at the edge for a slot now. */
  queued: number;
  /** Publish requests passed to the workers and not yet answered. */
  inFlight: number;
  /** Failed connections to the workers and failed answers from them (the client got a 5xx from the edge). */
  workerErrors: number;
  /** Client connections open now. */
  connections: number;
}

/** Rows of `show stat` CSV keyed `<proxy>/<server>` (FRONTEND and BACKEND are servers too). */
export function parseShowStat(csv: string): Map<string, Record<string, string>> {
  const lines = csv.split('\n').filter((l) => l.length > 0);
  const header = lines.shift();
  if (!header?.startsWith('# ')) throw new Error(`not a 'show stat' answer: ${header?.slice(0, 80) ?? '(empty)'}`);
  const names = header.slice(2).split(',');
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines) {
    const cells = line.split(',');
    const row: Record<string, string> = {};
    names.forEach((n, i) => (row[n] = cells[i] ?? ''));
    rows.set(`${row.pxname}/${row.svname}`, row);
  }
  return rows;
}

/** The edge's figures from the rows of the configuration in `haproxy.config.ts`. */
export function edgeStatsFrom(rows: Map<string, Record<string, string>>): EdgeStats {
  const n = (key: string, field: string) => Number(rows.get(key)?.[field] || 0);
  return {
    shed: n('gateway/FRONTEND', 'dreq'),
    queued: n('publish/BACKEND', 'qcur'),
    inFlight: n('publish/workers', 'scur'),
    workerErrors: ['publish/BACKEND', 'rest/BACKEND'].reduce((sum, k) => sum + n(k, 'econ') + n(k, 'eresp'), 0),
    connections: n('gateway/FRONTEND', 'scur'),
  };
}

/** Asks HAProxy's stats socket one command and returns its whole answer. */
export function askStatsSocket(socketPath: string, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const sock = net.createConnection(socketPath);
    const timer = setTimeout(() => sock.destroy(new Error(`HAProxy's stats socket did not answer '${command}' within ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${command}\n`));
    sock.on('data', (d: string) => (out += d));
    sock.on('end', () => {
      clearTimeout(timer);
      resolve(out);
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`;
const UP_HELP = 'Whether the edge (HAProxy) answered the last scrape of its stats socket.';

/** The edge's figures as Prometheus text (appended to the cluster's scrape); undefined: the edge did not answer. */
export function edgeMetricsText(s: EdgeStats | undefined): string {
  if (!s) return metric('phoenix_gateway_edge_up', 'gauge', UP_HELP, 0);
  return [
    metric('phoenix_gateway_edge_up', 'gauge', UP_HELP, 1),
    metric('phoenix_gateway_edge_shed_total', 'counter', 'Publish requests the edge answered 429 because its queue was full.', s.shed),
    metric('phoenix_gateway_edge_queued', 'gauge', 'Publish requests waiting at the edge for a worker slot.', s.queued),
    metric('phoenix_gateway_edge_in_flight', 'gauge', 'Publish requests the edge has passed to the workers and not yet answered.', s.inFlight),
    metric('phoenix_gateway_edge_worker_errors_total', 'counter', 'Failed connections to the workers and failed answers from them, seen at the edge.', s.workerErrors),
    metric('phoenix_gateway_edge_connections', 'gauge', 'Client connections open at the edge.', s.connections),
  ].join('');
}
