import { ConfigError } from '@phoenix/config';

/**
 * Runs an app's start function; on failure prints a readable reason and exits non-zero
 * (a misconfigured pod should crash at boot with the reason in its log, not half-start).
 */
export async function runOrExit(name: string, start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : ((err as Error)?.stack ?? String(err));
    process.stderr.write(`phoenix ${name} failed to start: ${message}\n`);
    process.exit(1);
  }
}
