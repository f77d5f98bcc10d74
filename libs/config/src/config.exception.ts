import { PhoenixError } from '@phoenix/errors';
/** Thrown at boot when configuration is invalid; lists every problem found. */
export class ConfigError extends PhoenixError<'CONFIG_INVALID'> {
  constructor(readonly problems: string[]) {
    super('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`, { kind: 'app' });
  }
}
