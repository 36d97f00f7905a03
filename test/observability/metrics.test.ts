/**
 * Metrics on every node: with MESHRPC_METRICS_ADDR set, a node records its calls and serves
 * /metrics, /healthz and /readyz there once it listens. Real calls between two mesh nodes over
 * loopback, then a real HTTP scrape, parsed as Prometheus text and checked against what the
 * test did.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createHandler, defineService, Mesh, MeshError } from '../../src/index.js';
import { metricsAddress } from '../../src/observability/node.js';
import { instancesOf } from '../helpers/cluster.js';

process.env.MESHRPC_METRICS_ADDR = '127.0.0.1:0'; // read when a node is made: before any is

interface Calc {
  add(a: number, b: number): Promise<number>;
  hold(): Promise<string>;
}
const calcSpec = defineService<Calc>('calc', { add: ['a', 'b'], hold: [] });

let server: Mesh;
let caller: Mesh;
let base: string;
let release: () => void = () => {};

interface PromMetric {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

async function scrape(): Promise<{ text: string; byName: Map<string, PromMetric> }> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  const parsed = parsePrometheusTextFormat(text) as PromMetric[];
  return { text, byName: new Map(parsed.map((m) => [m.name, m])) };
}

/** The value of one series in the text (labels in the order the registry writes them). */
function series(text: string, line: string): number | undefined {
  const escaped = line.replace(/[{}()[\].*+?^$|\\]/g, '\\$&');
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

beforeAll(async () => {
  server = new Mesh({ name: 'calc' });
  server.publish(
    createHandler(calcSpec, {
      add: async (a: number, b: number) => {
        if (a < 0) throw new MeshError('INVALID_ARGUMENT', 'a must not be negative');
        return a + b;
      },
      hold: () => new Promise<string>((resolve) => (release = () => resolve('released'))),
    }),
  );
  await server.listen('127.0.0.1:0');
  caller = new Mesh({ name: 'caller', nodes: [server.address!] });
  await caller.listen('127.0.0.1:0');
  for (let i = 0; i < 200 && instancesOf(caller, 'calc').length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  const addr = await metricsAddress();
  expect(addr).toMatch(/^127\.0\.0\.1:\d+$/);
  base = `http://${addr}`;
});

afterAll(async () => {
  release();
  await caller?.close();
  await server?.close();
});

describe('metrics on MESHRPC_METRICS_ADDR', () => {
  it('count the calls served and made by service, method and code, with in-flight calls, links, members and bytes', async () => {
    const calc = createClient(calcSpec, caller);
    for (let i = 0; i < 3; i++) expect(await calc.add(i, 1)).toBe(i + 1);
    const invalid = await calc.add(-1, 1).catch((e: unknown) => e);
    expect((invalid as MeshError).code).toBe('INVALID_ARGUMENT');
    const unknown = await caller.call({ service: 'calc', method: 'nope' }, Buffer.from('{}'), { codec: 'json' }).catch((e: unknown) => e);
    expect((unknown as MeshError).code).toBe('UNIMPLEMENTED');
    const held = calc.hold();
    await new Promise((r) => setTimeout(r, 100));

    const { text, byName } = await scrape();
    const served = (method: string, code: string) => series(text, `meshrpc_server_call_duration_seconds_count{service="calc",method="${method}",code="${code}"}`);
    const made = (method: string, code: string) => series(text, `meshrpc_client_call_duration_seconds_count{service="calc",method="${method}",code="${code}"}`);
    expect(byName.get('meshrpc_server_call_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(served('add', 'OK')).toBe(3);
    expect(served('add', 'INVALID_ARGUMENT')).toBe(1);
    // A method the service does not have is one series, whatever name a caller sends.
    expect(served('(unknown)', 'UNIMPLEMENTED')).toBe(1);
    expect(text).not.toContain('method="nope",code="UNIMPLEMENTED"} 1\nmeshrpc_server');
    expect(made('add', 'OK')).toBe(3);
    expect(made('nope', 'UNIMPLEMENTED')).toBe(1);
    expect(series(text, 'meshrpc_server_call_duration_seconds_bucket{le="+Inf",service="calc",method="add",code="OK"}')).toBe(3);

    const value = (name: string) => Number(byName.get(name)?.metrics[0]?.value);
    expect(value('meshrpc_server_calls_in_flight')).toBe(1);
    expect(value('meshrpc_client_calls_in_flight')).toBe(1);
    expect(value('meshrpc_mesh_links')).toBe(2); // each node of this process holds one link
    expect(value('meshrpc_mesh_members')).toBe(4); // each knows two members
    expect(byName.get('meshrpc_mesh_service_instances')?.metrics.find((m) => m.labels?.service === 'calc')?.value).toBe('2');
    const sent = value('meshrpc_server_sent_bytes_total');
    expect(sent).toBeGreaterThan(0);
    expect(value('meshrpc_client_received_bytes_total')).toBe(sent); // the same replies, seen from both ends

    release();
    expect(await held).toBe('released');
    const after = await scrape();
    expect(Number(after.byName.get('meshrpc_server_calls_in_flight')?.metrics[0]?.value)).toBe(0);
    expect(series(after.text, 'meshrpc_server_call_duration_seconds_count{service="calc",method="hold",code="OK"}')).toBe(1);
  });

  it('answers /healthz, /readyz (503 while a node drains) and 404 elsewhere', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);

    const calc = createClient(calcSpec, caller);
    const held = calc.hold();
    await new Promise((r) => setTimeout(r, 100));
    const closing = server.close(); // drains the held call first
    await new Promise((r) => setTimeout(r, 100));
    const during = await fetch(`${base}/readyz`);
    expect(during.status).toBe(503);
    expect(await during.json()).toEqual({ status: 'not ready' });
    release();
    expect(await held).toBe('released');
    await closing;
  });

  it('stops serving once the last node of the process closed', async () => {
    await caller.close();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(await metricsAddress()).toBeUndefined();
  });
});
