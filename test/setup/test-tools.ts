import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * Tools the interop specs use besides the stack: Confluent's Python client (PyPI) and kcat
 * (Debian). Installed on first use so `npm test` works on a fresh machine; .ci/run installs
 * them up front.
 */
export function ensureTestTools(root: string): void {
  const py = spawnSync('python3', ['-c', 'import confluent_kafka, fastavro'], { encoding: 'utf8' });
  if (py.status !== 0) {
    process.stderr.write('[setup] installing Python interop client (pip)…\n');
    const pip = spawnSync('python3', ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', path.join(root, 'test', 'interop', 'requirements.txt')], { stdio: 'inherit' });
    if (pip.status !== 0) throw new Error('pip install -r test/interop/requirements.txt failed');
  }
  if (spawnSync('kcat', ['-V']).status !== 0) {
    if (process.getuid?.() !== 0) throw new Error('kcat is missing: apt-get install kcat');
    process.stderr.write('[setup] installing kcat (apt)…\n');
    const apt = spawnSync('bash', ['-c', 'apt-get update -qq && apt-get install -y -qq kcat'], { stdio: 'inherit' });
    if (apt.status !== 0) throw new Error('apt-get install kcat failed');
  }
}
