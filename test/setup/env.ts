// Every jest worker of the integration and e2e tiers talks to the stack started by global-setup.
import { stackClientEnv, stackOptions } from '@phoenix/stack';

const env = stackClientEnv(stackOptions());
for (const [k, v] of Object.entries(env)) process.env[k] ??= v;
// Specs provoke failures on purpose; set LOG_LEVEL=info to see the apps' logs while debugging.
process.env.LOG_LEVEL ??= 'fatal';
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
process.env.PHOENIX_ENV ??= 'local';
// snowflake-sdk probes cloud metadata addresses on login unless told not to.
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
