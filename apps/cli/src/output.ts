import { PhoenixError } from '@phoenix/errors';
/** Prints rows as an aligned text table. */
export function printTable(rows: Record<string, unknown>[], columns?: string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cols = columns ?? Object.keys(rows[0]);
  const cell = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write(line(cols.map((c) => c.toUpperCase())) + '\n');
  for (const r of rows) process.stdout.write(line(cols.map((c) => cell(r[c]))) + '\n');
}

/** A failure the CLI reports as one line and exit code 1 (no stack trace). */
export class CliError extends PhoenixError<'CLI_FAILED'> {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super('CLI_FAILED', message, { kind: 'record' });
  }
}

export const info = (msg: string) => process.stderr.write(`${msg}\n`);
