/**
 * `meshrpc gateway` starts the OpenTelemetry Node SDK when the standard OTEL_* variables ask
 * for traces, and its spans reach the collector they name: a real gateway process exporting
 * with the SDK's own OTLP/HTTP exporter (JSON) to an HTTP endpoint in this test, which checks
 * that the call's CLIENT span continues the request's traceparent.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracesRequested } from '../../src/observability/sdk.js';
import { killAll } from '../helpers/procs.js';
import { instancesOf, post, startGatewayProc, startService, until, type GatewayProc } from '../gateway/helpers.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string } }[];
}
interface OtlpBody {
  resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

const exported: { service: string | undefined; span: OtlpSpan }[] = [];
let collector: Server;
let gw: GatewayProc;

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpBody;
        for (const rs of body.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
          for (const ss of rs.scopeSpans) for (const span of ss.spans) exported.push({ service, span });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  gw = await startGatewayProc([], {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_SERVICE_NAME: 'gateway-under-test',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  });
  await startService(gw, { SVC_ID: 'a', SVC_HTTP: '0' });
  await until(async () => (await instancesOf(gw, 'calc')) === 1, 15_000, 'calc at the gateway');
});

afterAll(async () => {
  await killAll();
  await new Promise((resolve) => collector?.close(resolve));
});

describe('the OpenTelemetry SDK from OTEL_* variables', () => {
  it('exports the gateway spans over OTLP/HTTP, continuing the incoming traceparent', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parent = randomBytes(8).toString('hex');
    const res = await post(gw, '/calc/add', { a: 1, b: 2 }, { traceparent: `00-${traceId}-${parent}-01` });
    expect(res.status).toBe(200);
    await until(() => exported.some((e) => e.span.traceId === traceId), 15_000, 'the span at the collector');
    const { service, span } = exported.find((e) => e.span.traceId === traceId)!;
    expect(service).toBe('gateway-under-test');
    expect(span).toMatchObject({ name: 'calc/add', kind: 3, parentSpanId: parent }); // 3: SPAN_KIND_CLIENT
    expect(span.attributes).toContainEqual({ key: 'rpc.system', value: { stringValue: 'meshrpc' } });
  });

  it('is asked for by an exporter other than "none" or an OTLP endpoint, and never when disabled', () => {
    expect(tracesRequested({})).toBe(false);
    expect(tracesRequested({ OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracesRequested({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(tracesRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318' })).toBe(false);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318' })).toBe(true);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x:4318/v1/traces' })).toBe(true);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });
});
