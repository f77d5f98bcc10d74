import { spawnSync } from 'node:child_process';
import { ensureTestTools } from './test-tools';
import * as path from 'node:path';

/**
 * Builds dist/ (specs that run the CLI or the standalone process execute the built code),
 * brings the local stack up through the project's own stack library (reused when already up)
 * and applies the topic catalogue.
 */
export default async function globalSetup(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');

  // globalSetup runs outside jest's module mapping, so it uses the freshly built library.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { StackManager, stackClientEnv, stackOptions } = require(path.join(root, 'dist', 'libs', 'stack', 'src')) as typeof import('../../libs/stack/src');
  ensureTestTools(root);
  const options = stackOptions();
  const stack = new StackManager(options, (m: string) => process.stderr.write(`[stack] ${m}\n`));
  await stack.up();
  const env = { ...process.env, ...stackClientEnv(options), LOG_LEVEL: 'error' };
  const apply = spawnSync('node', [path.join(root, 'bin', 'phoenix.js'), 'topics', 'apply'], { cwd: root, env, encoding: 'utf8' });
  if (apply.status !== 0) throw new Error(`phoenix topics apply failed:\n${apply.stdout}\n${apply.stderr}`);
}
