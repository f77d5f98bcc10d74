import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { createLogger, NestPinoLogger } from './logger';
import { runWithContext } from './request-context';
import { initTracing, SpanKind, startSpan } from './tracing';

describe('logger', () => {
  it('redacts secrets and stamps correlation and trace ids of the work in progress', () => {
    initTracing({ serviceName: 'spec' });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-log-')), 'out.log');
    const fd = fs.openSync(file, 'w');
    const logger = createLogger({ level: 'info', pretty: false, name: 'spec', destination: fd });
    const span = startSpan('work', trace.setSpan(context.active(), trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 })), SpanKind.INTERNAL);
    runWithContext({ correlationId: 'corr-1', eventId: 'ev-1', trace: trace.setSpan(context.active(), span) }, () => {
      logger.info({ password: 'hunter2', kafka: { sasl: { password: 'p' } }, headers: { authorization: 'Bearer abc' }, token: 't0k', keep: 'visible' }, 'hello');
    });
    span.end();
    fs.closeSync(fd);
    const line = JSON.parse(fs.readFileSync(file, 'utf8').trim().split('\n').pop()!) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: 'hello', correlationId: 'corr-1', eventId: 'ev-1', traceId: '0af7651916cd43dd8448eb211c80319c', keep: 'visible', password: '***', token: '***', kafka: { sasl: { password: '***' } }, headers: { authorization: '***' } });
    expect(line.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(line)).not.toMatch(/hunter2|Bearer abc|t0k/);
  });

  it("sends Nest's boot chatter (a line per module and route) to debug, keeps its other lines at info", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-log-')), 'out.log');
    const fd = fs.openSync(file, 'w');
    const nest = new NestPinoLogger(createLogger({ level: 'info', pretty: false, name: 'spec', destination: fd }));
    nest.log('Mapped {/v1/events, POST} route', 'RouterExplorer');
    nest.log('EventsController {/v1}:', 'RoutesResolver');
    nest.log('GatewayModule dependencies initialized', 'InstanceLoader');
    nest.log('Nest application successfully started', 'NestApplication');
    fs.closeSync(fd);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(['Nest application successfully started']);
  });
});
