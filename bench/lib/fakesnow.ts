import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { tableFromIPC, Type, Vector } from 'apache-arrow';

/**
 * fakesnow (PyPI) answers Snowflake's REST protocol from DuckDB, but returns result sets as Arrow,
 * which the Node driver cannot read. This test-side proxy sits between snowflake-sdk and fakesnow
 * and re-encodes Arrow results as the JSON rowsets the driver understands; it also fills in the
 * response fields the driver relies on and turns failures into answers the driver does not retry.
 */

/** Output formats the driver reads from every query response. */
const FORMATS = [
  ['TIMEZONE', 'Etc/UTC'],
  ['DATE_OUTPUT_FORMAT', 'YYYY-MM-DD'],
  ['TIME_OUTPUT_FORMAT', 'HH24:MI:SS'],
  ['TIMESTAMP_OUTPUT_FORMAT', 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM'],
  ['TIMESTAMP_NTZ_OUTPUT_FORMAT', 'YYYY-MM-DD HH24:MI:SS.FF3'],
  ['TIMESTAMP_LTZ_OUTPUT_FORMAT', ''],
  ['TIMESTAMP_TZ_OUTPUT_FORMAT', ''],
  ['BINARY_OUTPUT_FORMAT', 'HEX'],
] as const;

interface RowType {
  type?: string;
  scale?: number;
}

type Json = Record<string, unknown>;

/** A fixed-point integer as text with `scale` decimals ("12345", 2 → "123.45"). */
function withScale(units: bigint, scale: number): string {
  if (scale <= 0) return units.toString();
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Arrow decimal128 comes back as little-endian 32-bit words; two's complement. */
function decimalWords(words: Uint32Array): bigint {
  let v = 0n;
  for (let i = words.length - 1; i >= 0; i--) v = (v << 32n) | BigInt(words[i] >>> 0);
  const bits = BigInt(words.length * 32);
  return v >= 1n << (bits - 1n) ? v - (1n << bits) : v;
}

/** One column's values as the strings Snowflake's JSON result format uses. */
function encoder(column: Vector, rowType: RowType): (i: number) => string | null {
  const kind = (rowType.type ?? '').toLowerCase();
  const scale = rowType.scale ?? 0;
  if (column.type.typeId === Type.Struct) {
    // Timestamps: { epoch: seconds, fraction: nanos [, timezone] }.
    const epoch = column.getChildAt(0)!;
    const fraction = column.getChildAt(1)!;
    const tz = column.numChildren > 2 ? column.getChildAt(2) : null;
    const digits = scale || 9;
    return (i) => {
      if (epoch.get(i) === null) return null;
      const nanos = BigInt(epoch.get(i)) * 1_000_000_000n + BigInt(fraction.get(i) ?? 0);
      const text = withScale(nanos / 10n ** BigInt(9 - digits), digits);
      return tz ? `${text} ${tz.get(i)}` : text;
    };
  }
  return (i) => {
    const v = column.get(i) as unknown;
    if (v === null || v === undefined) return null;
    switch (kind) {
      case 'fixed':
        return column.type.typeId === Type.Decimal ? withScale(decimalWords(v as Uint32Array), (column.type as { scale: number }).scale) : String(v);
      case 'boolean':
        return v ? '1' : '0';
      case 'date':
        return String(Math.floor((v instanceof Date ? v.getTime() : Number(v)) / 86_400_000));
      case 'time':
        return withScale(BigInt(v as bigint) / 10n ** BigInt(9 - (scale || 9)), scale || 9);
      case 'binary':
        return Buffer.from(v as Uint8Array).toString('hex').toUpperCase();
      default:
        return typeof v === 'string' ? v : String(v);
    }
  };
}

function arrowRows(base64: string, rowtype: RowType[]): (string | null)[][] {
  const table = tableFromIPC(Buffer.from(base64, 'base64'));
  const columns = table.schema.fields.map((_, c) => encoder(table.getChildAt(c)!, rowtype[c] ?? {}));
  return Array.from({ length: table.numRows }, (_, i) => columns.map((col) => col(i)));
}

function failure(code: string, message: string): Json {
  // A failure without sqlState makes the driver silently send the statement again.
  return { success: false, code, message, data: { errorCode: code, sqlState: 'XX000' } };
}

/** Makes fakesnow's answer one the driver accepts. */
function rewrite(pathname: string, json: Json): Json {
  if (json.success === false) {
    const data = (json.data ?? {}) as Json;
    return { ...json, data: { ...data, errorCode: data.errorCode ?? json.code, sqlState: data.sqlState ?? 'XX000' } };
  }
  const data = json.data as Json | undefined;
  if (!data) return json;
  if (pathname === '/session/v1/login-request') {
    // fakesnow tells the driver to stage array binds (threshold 0), which it cannot serve.
    for (const p of (data.parameters as { name: string; value: unknown }[]) ?? []) {
      if (p.name === 'CLIENT_STAGE_ARRAY_BINDING_THRESHOLD') p.value = 2 ** 31 - 1;
    }
    return json;
  }
  if (pathname === '/queries/v1/query-request') {
    if (data.queryResultFormat === 'arrow') {
      data.rowset = data.rowsetBase64 ? arrowRows(String(data.rowsetBase64), (data.rowtype as RowType[]) ?? []) : [];
      delete data.rowsetBase64;
      data.queryResultFormat = 'json';
    }
    data.rowset ??= [];
    data.returned ??= (data.rowset as unknown[]).length;
    data.total ??= data.returned;
    data.version ??= 1;
    const params = ((data.parameters as { name: string; value: unknown }[]) ?? []).slice();
    for (const [name, value] of FORMATS) if (!params.some((p) => p.name === name)) params.push({ name, value });
    data.parameters = params;
  }
  return json;
}

/** fakesnow crashes on null in a non-text bind; text binds are cast by DuckDB on insert. */
function retypeNullBinds(body: Json): void {
  for (const b of Object.values((body.bindings as Record<string, { type: string; value: unknown }>) ?? {})) {
    const values = Array.isArray(b.value) ? b.value : [b.value];
    if (b.type !== 'TEXT' && values.some((v) => v === null)) b.type = 'TEXT';
  }
}

const read = (stream: http.IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

const gunzipIfNeeded = (b: Buffer) => (b.length > 2 && b[0] === 0x1f && b[1] === 0x8b ? zlib.gunzipSync(b) : b);

export interface FakeSnowflake {
  /** What to pass as `SNOWFLAKE_ACCESS_URL`. */
  url: string;
  stop(): Promise<void>;
  /** Stops accepting connections (a Snowflake outage) until `resume()`. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

async function waitFor(what: string, ok: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts fakesnow (`fakesnowBin`, from the Python test tools' venv) on loopback and the proxy in
 * front of it. Used by the Snowflake specs and by the soak's shared-stores mode.
 */
export async function startFakeSnowflake(logFile: string, fakesnowBin: string): Promise<FakeSnowflake> {
  const upstream = await new Promise<number>((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(fakesnowBin, ['-s', '-p', String(upstream), '--host', '127.0.0.1'], { stdio: ['ignore', log, log] });
  await waitFor(
    'fakesnow to answer',
    () =>
      new Promise<boolean>((resolve) => {
        if (child.exitCode !== null) return resolve(false);
        const req = http.request({ host: '127.0.0.1', port: upstream, method: 'POST', path: '/session' }, (res) => {
          res.resume();
          resolve(true);
        });
        req.on('error', () => resolve(false));
        req.end();
      }),
    60000,
  );

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const reply = (json: Json) => {
      const body = Buffer.from(JSON.stringify(json));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    };
    if (url.pathname === '/telemetry/send') return reply({ success: true });
    let body = gunzipIfNeeded(await read(req));
    if (body.length && url.pathname === '/queries/v1/query-request') {
      const json = JSON.parse(body.toString('utf8')) as Json;
      retypeNullBinds(json);
      body = Buffer.from(JSON.stringify(json));
    }
    const headers = { ...req.headers, host: `127.0.0.1:${upstream}`, 'content-length': String(body.length) };
    delete headers['content-encoding'];
    delete headers['accept-encoding'];
    const answer = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const up = http.request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers }, (r) => {
        read(r).then((b) => resolve({ status: r.statusCode ?? 500, body: gunzipIfNeeded(b) }), reject);
      });
      up.on('error', reject);
      up.end(body);
    });
    let json: Json;
    try {
      json = JSON.parse(answer.body.toString('utf8')) as Json;
    } catch {
      return reply(failure('XX000', `fakesnow answered ${answer.status} without JSON`));
    }
    reply(rewrite(url.pathname, json));
  };

  const sockets = new Set<import('node:net').Socket>();
  const listen = (port: number) =>
    new Promise<http.Server>((resolve) => {
      const server = http.createServer((req, res) => {
        handle(req, res).catch((err: Error) => {
          if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(failure('XX000', `proxy: ${err.message}`)));
        });
      });
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  let server = await listen(0);
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });

  return {
    url: `http://127.0.0.1:${port}`,
    pause: close,
    async resume() {
      server = await listen(port);
    },
    async stop() {
      await close();
      child.kill('SIGINT');
      await waitFor('fakesnow to stop', () => child.exitCode !== null || child.signalCode !== null, 20000).catch(() => child.kill('SIGKILL'));
    },
  };
}
