import * as path from 'node:path';

export interface SoakOptions {
  label: string;
  events: number;
  rate: number;
  memoryShare: number;
  toolShare: number;
  webhookShare: number;
  keys: number;
  partitions: number;
  poison: number;
  kills: number;
  rebalances: number;
  brokerRestarts: number;
  registryRestarts: number;
  outageSeconds: number;
  /** The memory-writer's chunk size (the lag metric may trail the broker by one chunk). */
  chunk: number;
  sampleMs: number;
  drainTimeoutMs: number;
  basePort: number;
  report: string;
  keep: boolean;
  /**
   * Two memory-writers share networked stores: Snowflake (fakesnow) as the warehouse and a Chroma
   * server as Mem0's vector store; kills alternate between them and the outage stops Chroma.
   */
  sharedStores: boolean;
}

const DEFAULTS: SoakOptions = {
  label: 'soak',
  events: 20000,
  rate: 200,
  memoryShare: 0.2,
  toolShare: 0.02,
  webhookShare: 0.05,
  keys: 500,
  partitions: 6,
  poison: 100,
  kills: 5,
  rebalances: 4,
  brokerRestarts: 2,
  registryRestarts: 1,
  outageSeconds: 60,
  chunk: 500,
  sampleMs: 5000,
  drainTimeoutMs: 30 * 60_000,
  basePort: 19600,
  report: path.resolve(__dirname, '..', '..', '..', 'SOAK.md'),
  keep: false,
  sharedStores: false,
};

/** `--events 200000 --rate 300 --memory-share 1 …` (names as in SoakOptions, kebab-case). */
export function parseSoakOptions(argv: string[]): SoakOptions {
  const o: SoakOptions = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const name = arg.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof SoakOptions;
    if (!(name in DEFAULTS)) throw new Error(`unknown option ${arg}; known: ${Object.keys(DEFAULTS).join(', ')}`);
    if (typeof DEFAULTS[name] === 'boolean') {
      (o as unknown as Record<string, unknown>)[name] = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    if (typeof DEFAULTS[name] === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${arg}: not a non-negative number: ${value}`);
      (o as unknown as Record<string, unknown>)[name] = n;
    } else {
      (o as unknown as Record<string, unknown>)[name] = name === 'report' ? path.resolve(value) : value;
    }
  }
  if (o.memoryShare + o.toolShare + o.webhookShare > 1) throw new Error('--memory-share, --tool-share and --webhook-share must add up to at most 1');
  return o;
}
