import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { TopicCatalogue } from '@phoenix/contracts';
import { deploymentFileSchema } from './deployment.config';
import { FleetValidator } from './fleet-validator';

/** Kubernetes service discovery against a stand-in API server answering a ServiceList. */
describe('FleetValidator discovery', () => {
  let server: http.Server;
  let api: string;
  const seen: { url: string; auth?: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url!, auth: req.headers.authorization });
      if (!req.url!.startsWith('/api/v1/namespaces/prod/services')) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: 'ServiceList',
          items: [
            { metadata: { name: 'phoenix-gateway', labels: { 'app.kubernetes.io/component': 'gateway' } }, spec: { ports: [{ name: 'http', port: 80 }] } },
            { metadata: { name: 'phoenix-router', labels: { 'app.kubernetes.io/component': 'router' } }, spec: { ports: [{ name: 'metrics', port: 9090 }, { name: 'http', port: 9464 }] } },
            { metadata: { name: 'phoenix-mcp-worker-hubspot', labels: { 'app.kubernetes.io/component': 'mcp-worker', 'phoenix.io/mcp-server': 'hubspot' } }, spec: { ports: [{ name: 'http', port: 9464 }] } },
            { metadata: { name: 'phoenix-mcp-github', labels: { 'app.kubernetes.io/component': 'mcp-server', 'phoenix.io/mcp-server': 'github' } }, spec: { ports: [{ name: 'http', port: 8080 }] } },
            { metadata: { name: 'headless-thing' }, spec: { ports: [] } },
          ],
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const validator = (k: Record<string, unknown>) =>
    new FleetValidator(deploymentFileSchema.parse({ apps: [{ name: 'extra', url: 'http://127.0.0.1:1' }], kubernetes: k }), { admin: () => Promise.reject(new Error('unused')), catalogue: {} as TopicCatalogue, instance: 'phoenix' });

  it('maps the release’s Services to app URLs by label and port name; workers by their server, MCP servers left to their workers', async () => {
    const { apps, results } = await validator({ namespace: 'prod', apiUrl: api, token: 'sa-token', portName: 'http' }).targets();
    expect(apps).toEqual([
      { name: 'extra', url: 'http://127.0.0.1:1' },
      { name: 'gateway', url: 'http://phoenix-gateway.prod.svc:80' },
      { name: 'router', url: 'http://phoenix-router.prod.svc:9464' },
      { name: 'mcp-worker.hubspot', url: 'http://phoenix-mcp-worker-hubspot.prod.svc:9464' },
    ]);
    expect(results).toEqual([expect.objectContaining({ check: 'discovery', status: 'ok' })]);
    expect(seen.at(-1)).toEqual({ url: '/api/v1/namespaces/prod/services?labelSelector=app.kubernetes.io%2Fname%3Dphoenix', auth: 'Bearer sa-token' });
  });

  it('reports a discovery failure instead of throwing', async () => {
    const { apps, results } = await validator({ namespace: 'nope', apiUrl: api }).targets();
    expect(apps).toHaveLength(1);
    expect(results[0]).toMatchObject({ check: 'discovery', status: 'fail', detail: expect.stringContaining('answered 404') });
  });

  it('needs an API URL outside a pod', async () => {
    const { results } = await validator({ namespace: 'prod' }).targets();
    expect(results[0].detail).toMatch(/kubectl proxy/);
  });
});
