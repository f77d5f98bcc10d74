import * as fs from 'node:fs';
import * as path from 'node:path';
import { findProjectRoot } from '@phoenix/config';
import { run, withLock } from './processes';

export type Progress = (message: string) => void;

const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1';

function requireMaven(): void {
  try {
    run('mvn', ['-v']);
  } catch {
    throw new Error('Maven (mvn) is required to fetch Kafka and the schema registry from Maven Central; install it (apt-get install maven)');
  }
}

/** Kafka's runtime classpath from Maven Central, cached under `<cache>/kafka-<version>/libs`. */
export async function ensureKafka(cacheDir: string, version: string, progress: Progress): Promise<string> {
  const home = path.join(cacheDir, `kafka-${version}`);
  const libs = path.join(home, 'libs');
  const marker = path.join(home, '.complete');
  if (fs.existsSync(marker)) return libs;
  return withLock(path.join(cacheDir, '.kafka.lock'), async () => {
    if (fs.existsSync(marker)) return libs;
    requireMaven();
    progress(`fetching Apache Kafka ${version} from Maven Central (first run only)…`);
    const pom = path.join(findProjectRoot(), 'libs', 'stack', 'maven', 'kafka', 'pom.xml');
    run('mvn', ['-q', '-B', '-f', pom, `${DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${libs}`, '-DincludeScope=runtime', `-Dkafka.version=${version}`]);
    fs.writeFileSync(marker, new Date().toISOString());
    return libs;
  });
}

/** The Apicurio Registry distribution, unpacked under `<cache>/apicurio-<version>`. */
export async function ensureApicurio(cacheDir: string, version: string, progress: Progress): Promise<string> {
  const home = path.join(cacheDir, `apicurio-${version}`);
  const marker = path.join(home, '.complete');
  if (fs.existsSync(marker)) return home;
  return withLock(path.join(cacheDir, '.apicurio.lock'), async () => {
    if (fs.existsSync(marker)) return home;
    requireMaven();
    progress(`fetching Apicurio Registry ${version} from Maven Central (first run only, ~160 MB)…`);
    const downloads = path.join(cacheDir, 'downloads');
    // `copy` fetches just this artifact; resolving it as a dependency would walk its whole
    // (partly non-Central) dependency tree.
    run('mvn', ['-q', '-B', `${DEPENDENCY_PLUGIN}:copy`, `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`, `-DoutputDirectory=${downloads}`], { cwd: cacheDir });
    const archive = path.join(downloads, `apicurio-registry-app-${version}-all.tar.gz`);
    fs.rmSync(home, { recursive: true, force: true });
    fs.mkdirSync(home, { recursive: true });
    run('tar', ['-xzf', archive, '-C', home]);
    if (!fs.existsSync(path.join(home, 'quarkus-run.jar'))) throw new Error(`${archive} did not contain quarkus-run.jar`);
    fs.writeFileSync(marker, new Date().toISOString());
    return home;
  });
}

function javaMajor(javaHome: string): number | undefined {
  try {
    const release = fs.readFileSync(path.join(javaHome, 'release'), 'utf8');
    const m = /JAVA_VERSION="(\d+)/.exec(release);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A `java` executable of at least `minMajor`. Apicurio 3.3 needs Java 21+, while the machine's
 * default may be 17; candidates: an explicit home, JAVA_HOME, then /usr/lib/jvm/*.
 */
export function findJava(minMajor: number, explicitHome?: string): string {
  const candidates = [explicitHome, process.env.JAVA_HOME];
  const jvmRoot = '/usr/lib/jvm';
  if (fs.existsSync(jvmRoot)) {
    const homes = fs
      .readdirSync(jvmRoot)
      .map((d) => path.join(jvmRoot, d))
      .map((h) => ({ h, v: javaMajor(h) ?? 0 }))
      .sort((a, b) => b.v - a.v)
      .map((x) => x.h);
    candidates.push(...homes);
  }
  for (const home of candidates) {
    if (!home) continue;
    const v = javaMajor(home);
    const bin = path.join(home, 'bin', 'java');
    if (v !== undefined && v >= minMajor && fs.existsSync(bin)) return bin;
  }
  throw new Error(`Java ${minMajor}+ is required for the schema registry; set STACK_REGISTRY_JAVA_HOME to a JDK ${minMajor}+ home`);
}
