import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../support/cli';

/**
 * The soak harness in a small configuration: the apps as separate processes under open-loop load
 * with crashes of each consumer app, a broker restart, a rebalance, a memory store outage and
 * poison messages. Counts, not timings: every row of the books must balance.
 */
describe('soak (small configuration)', () => {
  it('balances every row of the books after crashes, a broker restart, a rebalance, an outage and poison', async () => {
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-soak-spec-')), 'SOAK.md');
    const args = ['--label', 'ci', '--events', '2000', '--rate', '100', '--memory-share', '0.3', '--tool-share', '0.03', '--kills', '4', '--rebalances', '1', '--broker-restarts', '1', '--outage-seconds', '8', '--poison', '10', '--base-port', '19700', '--report', report];
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/bench/soak/soak.js'), ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-6000)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) console.log(out, err);
    // A harness error (exit 2) names itself in the failure, not only in the console output.
    const failure = /soak failed: [^]*/.exec(err)?.[0].split('\n').slice(0, 25).join('\n') ?? '';
    expect({ code, failure }).toEqual({ code: 0, failure: '' });
    const rows = out.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| check'));
    expect(rows).toHaveLength(8);
    for (const row of rows) expect(row.trim().endsWith('| ok |')).toBe(true);
    expect(out).toMatch(/SIGKILL memory-writer/);
    expect(out).toMatch(/SIGKILL broker \+ restart/);
    expect(out).toMatch(/memory store locked 8 s/);
    expect(fs.readFileSync(report, 'utf8')).toContain('## ci');
  }, 900000);
});
