import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { edgeMaxConnections } from './haproxy-edge';
import { edgeMetricsText, edgeStatsFrom, parseShowStat } from './haproxy-stats';

// The shape HAProxy 2.6 answers `show stat` with (fields trimmed to the ones read, in its order).
const SHOW_STAT = [
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,hrsp_5xx,',
  'gateway,FRONTEND,,,640,700,5000,900000,1,2,8123,0,0,,,3,',
  'publish,workers,7,8,32,32,32,4000,1,2,,0,,2,1,0,',
  'publish,BACKEND,7,8,32,32,500,4000,1,2,0,0,,2,1,0,',
  'rest,workers,0,0,1,2,,10,1,2,,0,,0,0,0,',
  'rest,BACKEND,0,0,1,2,500,10,1,2,0,0,,1,0,0,',
  '',
].join('\n');

describe('edge stats', () => {
  it('reads shed, queued, in-flight, worker errors and connections from show stat', () => {
    expect(edgeStatsFrom(parseShowStat(SHOW_STAT))).toEqual({ shed: 8123, queued: 7, inFlight: 32, workerErrors: 4, connections: 640 });
  });

  it('refuses an answer that is not show stat (an error line from the socket)', () => {
    expect(() => parseShowStat('Unknown command.\n')).toThrow(/not a 'show stat' answer/);
  });

  it('renders Prometheus text, and edge_up 0 when the edge did not answer', () => {
    const text = edgeMetricsText({ shed: 5, queued: 1, inFlight: 2, workerErrors: 0, connections: 3 });
    expect(text).toContain('# TYPE phoenix_gateway_edge_shed_total counter\nphoenix_gateway_edge_shed_total 5\n');
    expect(text).toContain('phoenix_gateway_edge_up 1\n');
    expect(edgeMetricsText(undefined)).toBe('# HELP phoenix_gateway_edge_up Whether the edge (HAProxy) answered the last scrape of its stats socket.\n# TYPE phoenix_gateway_edge_up gauge\nphoenix_gateway_edge_up 0\n');
  });

  it('sizes the edge\'s connections to the open-file limit HAProxy may raise to', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'limits-'));
    const file = path.join(dir, 'limits');
    fs.writeFileSync(file, 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 20000                files\n');
    expect(edgeMaxConnections(file)).toBe(9900);
    fs.writeFileSync(file, 'Max open files            unlimited            unlimited            files\n');
    expect(edgeMaxConnections(file)).toBe(524188);
    expect(edgeMaxConnections(path.join(dir, 'missing'))).toBe(2000);
  });
});
