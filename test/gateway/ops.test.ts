/**
 * Operations and protection through a real gateway: health and readiness, Prometheus metrics
 * (parsed), OpenAPI 3.1 (validated, current as services come and go), the access log, and the
 * token check and CORS.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, type Started as Proc } from '../helpers/procs.js';
import { instancesOf, post, startGatewayProc, startService, until, type GatewayProc } from './helpers.js';

let gw: GatewayProc;
let calc: Proc;

beforeAll(async () => {
  gw = await startGatewayProc(['--require', 'calc']);
});

afterAll(async () => {
  await killAll();
});

interface PromMetric {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string }[];
}

describe('health and readiness', () => {
  it('answers /ping, /__heartbeat__ and /healthz at once, and /readyz 503 until required services exist', async () => {
    for (const path of ['/ping', '/__heartbeat__', '/healthz']) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe('ok');
    }
    const notReady = await fetch(`${gw.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not ready', missing: ['calc'] });
    calc = await startService(gw, { SVC_ID: 'a' });
    await until(async () => (await fetch(`${gw.url}/readyz`)).status === 200, 10_000, 'ready');
  });
});

describe('/openapi.json', () => {
  it('validates as OpenAPI 3.1 and carries the services’ schemas', async () => {
    const res = await fetch(`${gw.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, any>;
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const add = doc.paths['/calc/add'].post;
    expect(add.requestBody.content['application/json'].schema).toEqual({
      type: 'object',
      properties: { a: { $ref: '#/components/schemas/Num' }, b: { $ref: '#/components/schemas/Num' } },
      required: ['a', 'b'],
      additionalProperties: false,
    });
    expect(doc.components.schemas['Num']).toEqual({ type: 'number' });
    expect(add.responses['200'].content['application/json'].schema).toEqual({ type: 'number' });
    expect(doc.paths['/calc/{path}'].get).toBeTruthy();
    // The refs resolve (the validator dereferences the whole document).
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('follows services as they come and go', async () => {
    const extra = await startService(gw, { SVC_NAME: 'extra', SVC_HTTP: '0' });
    await until(async () => (await instancesOf(gw, 'extra')) === 1, 10_000, 'extra');
    let doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as Record<string, any>;
    expect(Object.keys(doc.paths)).toContain('/extra/whoami');
    expect(Object.keys(doc.paths)).not.toContain('/extra/{path}');
    await extra.stop();
    await until(async () => (await instancesOf(gw, 'extra')) === 0, 10_000, 'extra gone');
    doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as Record<string, any>;
    expect(Object.keys(doc.paths)).not.toContain('/extra/whoami');
    expect((await new Validator().validate(doc)).valid).toBe(true);
  });
});

describe('/metrics', () => {
  it('parses as Prometheus text with requests by service, method and status, latency, members and calls in flight', async () => {
    await post(gw, '/calc/add', { a: 1, b: 2 });
    await post(gw, '/calc/add', { a: 'x', b: 2 });
    await fetch(`${gw.url}/calc/inspect`).then((r) => r.arrayBuffer());
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const parsed = parsePrometheusTextFormat(text) as PromMetric[];
    const byName = new Map(parsed.map((m) => [m.name, m]));
    const total = byName.get('meshrpc_gateway_requests_total')!;
    expect(total.type).toBe('COUNTER');
    const count = (labels: Record<string, string>) =>
      Number(total.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? 0);
    expect(count({ service: 'calc', method: 'add', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(count({ service: 'calc', method: 'add', status: '400' })).toBeGreaterThanOrEqual(1);
    expect(count({ service: 'calc', method: 'http', status: '201' })).toBeGreaterThanOrEqual(1);
    const hist = byName.get('meshrpc_gateway_request_duration_seconds')!;
    expect(hist.type).toBe('HISTOGRAM');
    // The parser folds labelled histograms into one bucket map, so check the labelled series in the text.
    expect(hist.metrics[0].buckets).toBeTruthy();
    expect(text).toMatch(/^meshrpc_gateway_request_duration_seconds_count\{service="calc",method="add",status="200"\} [1-9]/m);
    expect(text).toMatch(/^meshrpc_gateway_request_duration_seconds_bucket\{le="0\.005",service="calc",method="add",status="200"\} \d+/m);
    // Buckets are cumulative and end at +Inf = _count; _sum is the latencies' total.
    const series = '{service="calc",method="add",status="200"}';
    const buckets = [...text.matchAll(/^meshrpc_gateway_request_duration_seconds_bucket\{le="([^"]+)",service="calc",method="add",status="200"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
    expect(buckets.length).toBeGreaterThan(5);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i][1]).toBeGreaterThanOrEqual(buckets[i - 1][1]);
    expect(buckets.at(-1)![0]).toBe('+Inf');
    const countLine = new RegExp(`^meshrpc_gateway_request_duration_seconds_count\\{service="calc",method="add",status="200"\\} (\\d+)$`, 'm');
    expect(buckets.at(-1)![1]).toBe(Number(countLine.exec(text)![1]));
    expect(count({ service: 'calc', method: 'add', status: '200' })).toBe(buckets.at(-1)![1]);
    expect(text).toMatch(new RegExp(`^meshrpc_gateway_request_duration_seconds_sum${series.replace(/[{}]/g, '\\$&')} 0?\\.\\d+`, 'm'));
    expect(Number(byName.get('meshrpc_mesh_members')!.metrics[0].value)).toBeGreaterThanOrEqual(2);
    expect(byName.get('meshrpc_gateway_calls_in_flight')!.metrics[0].value).toBe('0');
    expect(byName.get('meshrpc_mesh_service_instances')!.metrics.find((m) => m.labels?.service === 'calc')?.value).toBe('1');
  });
});

describe('access log', () => {
  it('writes one line per request with request id, method, path, status and latency', async () => {
    const res = await fetch(`${gw.url}/calc/whoami`, { method: 'POST', headers: { 'x-request-id': 'log-test-1' } });
    expect(res.headers.get('x-request-id')).toBe('log-test-1');
    await until(() => gw.output().includes('log-test-1'), 5000, 'log line');
    const lines = gw.output().split('\n').filter((l) => l.includes('"log-test-1"'));
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(entry).toMatchObject({ reqId: 'log-test-1', method: 'POST', path: '/calc/whoami', status: 200 });
    expect(typeof entry.ms).toBe('number');
  });
});

describe('protection', () => {
  let secured: GatewayProc;

  beforeAll(async () => {
    secured = await startGatewayProc(['--token', 's3cret', '--cors', 'https://app.example', '--nodes', gw.meshAddr]);
  });

  it('answers 401 without a valid token, lets bearer tokens and API keys in, and keeps probes open', async () => {
    const none = await post(secured, '/calc/add', { a: 1, b: 2 });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post(secured, '/calc/add', { a: 1, b: 2 }, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await fetch(`${secured.url}/calc/inspect`)).status).toBe(401);
    await until(async () => (await post(secured, '/calc/add', { a: 1, b: 2 }, { authorization: 'Bearer s3cret' })).status === 200, 10_000, 'calc via secured');
    const key = await post(secured, '/calc/add', { a: 2, b: 2 }, { 'x-api-key': 's3cret' });
    expect(await key.json()).toBe(4);
    for (const path of ['/ping', '/healthz', '/readyz', '/metrics']) expect((await fetch(`${secured.url}${path}`)).status, path).toBe(200);
  });

  it('answers CORS preflights without a token and adds CORS headers for allowed origins only', async () => {
    const pre = await fetch(`${secured.url}/calc/add`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(pre.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
    const res = await post(secured, '/calc/add', { a: 1, b: 1 }, { authorization: 'Bearer s3cret', origin: 'https://app.example' });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await post(secured, '/calc/add', { a: 1, b: 1 }, { authorization: 'Bearer s3cret', origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('graceful stop', () => {
  it('stops on SIGTERM', async () => {
    await calc.stop();
    await gw.stop();
    expect(gw.proc.exitCode).toBe(0);
  });
});
