import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from '../support/cli';

const SCRIPT = path.join(ROOT, 'scripts', 'validate-deploy.sh');
const FIXTURES = path.join('test', 'fixtures', 'deploy');

/** Runs scripts/validate-deploy.sh (the `npm run deploy:validate` entry point) to completion. */
function validateDeploy(args: string[], timeoutMs = 600_000): { status: number | null; output: string } {
  const r = spawnSync('bash', [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PHOENIX_VALIDATE_UNSET: '' } });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

describe('deployment validation (Helm chart, Kubernetes/KEDA/Strimzi schemas, Compose)', () => {
  beforeAll(() => {
    // Idempotent: builds helm with `go install` and fetches schemas on a fresh machine (minutes),
    // returns in seconds once ~/.cache/phoenix/tools has them.
    const r = validateDeploy(['--install-only'], 1_500_000);
    if (r.status !== 0) throw new Error(`installing the deploy tools failed:\n${r.output}`);
  }, 1_600_000);

  it('passes for the default values, values-production.yaml, every option, the MCP fleet example, topics.json and docker-compose.yml; refuses every known-bad fleet entry naming its field', () => {
    const r = validateDeploy([]);
    // The fleet: sidecar workers, service servers (own Deployment, Service, PDB, HPA/KEDA), externals.
    expect(r.output).toMatch(/\(values-fleet\.example\.yaml\)[\s\S]*ok: \d+ manifests valid .*\d+ Deployment.*\d+ HorizontalPodAutoscaler.*\d+ ScaledObject/);
    const refused = r.output.match(/^ok: scripts\/deploy\/known-bad\/\S+ refused: .+$/gm) ?? [];
    expect(refused.length).toBeGreaterThanOrEqual(12);
    expect(r.output).toContain("ok: scripts/deploy/known-bad/fleet-mode-typo.yaml refused: at '/mcpServers/1/mode': value must be one of 'config', 'sidecar', 'service', 'external'");
    expect(r.output).toContain("ok: scripts/deploy/known-bad/fleet-secret-without-key.yaml refused: at '/mcpServers/0/sidecar/secretEnv/CODACY_ACCOUNT_TOKEN': missing property 'key'");
    expect(r.output).toContain("ok: scripts/deploy/known-bad/fleet-sidecar-port-clash.yaml refused: mcpServers[stripe]: sidecar port 9464 is the worker's health port");
    expect(r.output).toMatch(/chart k8s\/helm\/phoenix \(default values\)[\s\S]*ok: \d+ manifests valid/);
    expect(r.output).toMatch(/\(values-production\.yaml\)[\s\S]*ok: \d+ manifests valid .*\d+ KafkaTopic.*\d+ PodDisruptionBudget.*\d+ ScaledObject/);
    expect(r.output).toContain('files/topics.json is up to date');
    expect(r.output).toMatch(/ok: docker-compose\.yml: \d+ services valid against the Compose Specification/);
    expect(r.output).toContain('deploy validation passed');
    expect(r.status).toBe(0);
  });

  it('refuses known-bad values by the chart’s values.schema.json, naming each field', () => {
    const r = validateDeploy(['-f', path.join(FIXTURES, 'bad-values.yaml')]);
    expect(r.status).toBe(1);
    expect(r.output).toContain("at '/apps/gateway/replicas': got string, want integer");
    expect(r.output).toContain("at '/apps/router/resources/limits/memory': 'oneOf' failed");
    expect(r.output).toContain("at '/ports/health': got string, want integer");
    expect(r.output).toContain('deploy validation FAILED: helm lint (test/fixtures/deploy/bad-values.yaml)');
  });

  it('without the values schema, the manifest checks still fail the same values and name each offending field', () => {
    const r = validateDeploy(['--skip-values-schema', '-f', path.join(FIXTURES, 'bad-values.yaml')]);
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/Deployment\/phoenix-gateway: spec\.replicas: 'two' is not of type 'integer'/);
    expect(r.output).toMatch(/Deployment\/phoenix-router: spec\.template\.spec\.containers\[0\]\.resources\.limits\.memory: 'lots' is not a resource quantity/);
    expect(r.output).toMatch(/Deployment\/phoenix-supervisor: spec\.template\.spec\.containers\[0\]\.ports\[0\]\.containerPort: 'health-port' is not of type 'integer'/);
    expect(r.output).toMatch(/Service\/phoenix-router: spec\.ports\[0\]\.port: 'health-port' is not of type 'integer'/);
    expect(r.output).toContain('deploy validation FAILED: manifests (test/fixtures/deploy/bad-values.yaml)');
  });

  it('fails on a broken compose file and names each problem', () => {
    const r = validateDeploy(['--compose', path.join(FIXTURES, 'bad-compose.yml')]);
    expect(r.status).toBe(1);
    expect(r.output).toContain("services.gateway: unknown key(s) 'helthcheck'");
    expect(r.output).toContain("services.gateway.ports: '8080:8080' is not of type 'array'");
    expect(r.output).toContain("services.gateway.depends_on: service 'kafka' is not defined");
    expect(r.output).toContain('services.gateway.environment.LLM_API_KEY: required variable PHOENIX_VALIDATE_UNSET is missing a value: put it in .env');
    expect(r.output).toContain('deploy validation FAILED: compose test/fixtures/deploy/bad-compose.yml');
  });
});
