import * as fs from 'node:fs';
import * as http from 'node:http';

/** One request on a connection of its own (`agent: false`), so the kernel picks the worker. */
export function request(port: number, method: string, urlPath: string, body?: unknown, apiKey?: string): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, agent: false, headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Pids of the processes whose parent is `parent` (a gateway primary's workers and edge). */
export function childPids(parent: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) out.push(Number(d));
    } catch {
      // gone while reading
    }
  }
  return out;
}

/** The command name of a process (`node`, `haproxy`), or undefined once it is gone. */
export function processName(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Sum of a counter's samples in a Prometheus text exposition, filtered by a label matcher. */
export function counterSum(text: string, name: string, labelMatch: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) && line.includes(labelMatch)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** A sample without labels (`name value`), or undefined when the exposition has none. */
export function sampleValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}
