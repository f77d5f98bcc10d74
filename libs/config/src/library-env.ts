/**
 * Where Phoenix touches `process.env` outside this lib, and why (everything else reads the
 * validated `PhoenixConfig`; a lint rule refuses `process.env` elsewhere):
 * - `libs/runtime` (the boot layer) hands `process.env` to `loadConfig` as the default source;
 * - `libs/stack` starts Kafka, the registry, n8n and the model server as child processes and
 *   passes them the environment they inherit (and looks up `JAVA_HOME` for the JVMs);
 * - test setup and `bench/` configure the processes they start;
 * - two libraries read a variable of their own when they load, before any option can be passed:
 *   those are set here, through {@link setLibraryEnv}, just before the library is loaded.
 */
export const LIBRARY_ENV = {
  /** snowflake-sdk probes cloud metadata addresses (169.254.169.254 …) on login unless this is set: traffic that must never leave the host. */
  SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true',
  /** mem0ai sends usage telemetry unless this is off: Phoenix never lets it phone home. */
  MEM0_TELEMETRY: 'false',
} as const;

/** Sets a library's own variable before the library is loaded (see {@link LIBRARY_ENV}). */
export function setLibraryEnv(name: keyof typeof LIBRARY_ENV): void {
  process.env[name] = LIBRARY_ENV[name];
}
