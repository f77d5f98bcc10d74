import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The virtualenv holding the Python tools the specs use (outside the repo, reused across runs). */
export function testVenv(): string {
  return process.env.PHOENIX_TEST_VENV ?? path.join(os.homedir(), '.cache', 'phoenix', 'venv');
}

export const venvBin = (name: string) => path.join(testVenv(), 'bin', name);

/**
 * Tools the specs use besides the stack: a Python venv (Confluent's client for the interop spec,
 * fakesnow for the Snowflake path) and kcat (Debian). Installed on first use so `npm test` works
 * on a fresh machine; .ci/run installs them up front. Idempotent: a hash of the requirements
 * file marks the venv as current.
 */
export function ensureTestTools(root: string): void {
  const requirements = path.join(root, 'test', 'requirements.txt');
  const want = createHash('sha256').update(fs.readFileSync(requirements)).digest('hex');
  const marker = path.join(testVenv(), '.phoenix-requirements');
  if (!fs.existsSync(marker) || fs.readFileSync(marker, 'utf8') !== want) {
    process.stderr.write(`[setup] installing Python test tools into ${testVenv()} (pip)…\n`);
    if (!fs.existsSync(venvBin('python'))) {
      const venv = spawnSync('python3', ['-m', 'venv', testVenv()], { stdio: 'inherit' });
      if (venv.status !== 0) throw new Error('python3 -m venv failed');
    }
    const pip = spawnSync(venvBin('python'), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', requirements], { stdio: 'inherit' });
    if (pip.status !== 0) throw new Error(`pip install -r ${requirements} failed`);
    fs.writeFileSync(marker, want);
  }
  if (spawnSync('kcat', ['-V']).status !== 0) {
    if (process.getuid?.() !== 0) throw new Error('kcat is missing: apt-get install kcat');
    process.stderr.write('[setup] installing kcat (apt)…\n');
    const apt = spawnSync('bash', ['-c', 'apt-get update -qq && apt-get install -y -qq kcat'], { stdio: 'inherit' });
    if (apt.status !== 0) throw new Error('apt-get install kcat failed');
  }
}
