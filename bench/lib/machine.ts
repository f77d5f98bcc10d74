import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  java: string;
  kafka: string;
  loadAverageAtStart: number[];
}

export interface GitInfo {
  commit: string;
  dirty: boolean;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function javaVersion(): string {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return (r.stderr || r.stdout || '').split('\n')[0]?.trim() || 'not found';
}

/** The Kafka version of the broker's jars (the stack runs the broker from the same classpath). */
function kafkaVersion(libs: string | undefined, configured: string): string {
  if (libs && fs.existsSync(libs)) {
    const jar = fs.readdirSync(libs).find((f) => /^kafka-clients-.+\.jar$/.test(f));
    if (jar) return jar.replace(/^kafka-clients-|\.jar$/g, '');
  }
  return configured;
}

export function machineInfo(kafkaLibs: string | undefined, configuredKafka: string): MachineInfo {
  let osName = `${os.type()} ${os.release()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    if (pretty) osName = `${pretty[1]} (${os.release()})`;
  } catch {
    /* keep uname */
  }
  return {
    cpuModel: cpuModel(),
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName,
    node: process.version,
    java: javaVersion(),
    kafka: kafkaVersion(kafkaLibs, configuredKafka),
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function gitInfo(root: string): GitInfo {
  const rev = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  return { commit: rev.status === 0 ? rev.stdout.trim() : 'unknown', dirty: status.status === 0 ? status.stdout.trim().length > 0 : false };
}

export const relative = (root: string, p: string) => path.relative(root, p) || '.';
