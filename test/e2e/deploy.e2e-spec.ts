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

  it('passes for the default values, values-production.yaml, every option, topics.json and docker-compose.yml', () => {
    const r = validateDeploy([]);
    expect(r.output).toMatch(/chart k8s\/helm\/phoenix \(default values\)[\s\S]*ok: \d+ manifests valid/);
    expect(r.output).toMatch(/\(values-production\.yaml\)[\s\S]*ok: \d+ manifests valid .*\d+ KafkaTopic.*\d+ PodDisruptionBudget.*\d+ ScaledObject/);
    expect(r.output).toContain('files/topics.json is up to date');
    expect(r.output).toMatch(/ok: docker-compose\.yml: \d+ services valid against the Compose Specification/);
    expect(r.output).toContain('deploy validation passed');
    expect(r.status).toBe(0);
  });

  it('fails on known-bad values and names each offending field', () => {
    const r = validateDeploy(['-f', path.join(FIXTURES, 'bad-values.yaml')]);
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
