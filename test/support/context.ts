import { AppContext } from '@phoenix/runtime';

/** An {@link AppContext} for a spec, with env overrides (e.g. another stack instance's ports). */
export function testContext(app: string, overrides: Record<string, string> = {}): AppContext {
  return AppContext.create(app, { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'fatal', ...overrides });
}
