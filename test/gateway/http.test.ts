/**
 * Published HTTP handlers through a real gateway: method, headers, query and status forwarded,
 * large bodies streamed intact both ways, and requests balanced over the handler's instances.
 * The same suite runs on the built-in mesh and on NATS-as-mesh (gateway and services both with
 * MESHRPC_TRANSPORT=nats://..., each run under a prefix of its own).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_URL, broker } from '../helpers/brokers.js';
import { killAll } from '../helpers/procs.js';
import { instancesOf, startGatewayProc, startService, until, type GatewayProc } from './helpers.js';

const natsUp = await broker('NATS', NATS_URL);

afterAll(async () => {
  await killAll();
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('published HTTP handlers on the built-in mesh', () => handlerSuite({ MESHRPC_TRANSPORT: 'mesh' }));
describe.skipIf(!natsUp)('published HTTP handlers on NATS', () =>
  handlerSuite({ MESHRPC_TRANSPORT: NATS_URL, MESHRPC_NATS_PREFIX: `t${randomUUID().slice(0, 8)}` }),
);

function handlerSuite(engine: Record<string, string>): void {
  let gw: GatewayProc;

  beforeAll(async () => {
    gw = await startGatewayProc([], engine);
    await startService(gw, { ...engine, SVC_ID: 'a' });
    await until(async () => (await instancesOf(gw, 'calc')) === 1, 10_000, 'calc');
  });

  afterAll(async () => {
    if (process.env.GW_DEBUG) console.log(gw.output().split('\n').filter((l) => !l.includes('"msg":"request"')).slice(-40).join('\n'));
    await gw.stop();
  });

  it('forwards method, path after the service, query, headers and status both ways', async () => {
    const res = await fetch(`${gw.url}/calc/inspect?x=1&y=%20two`, {
      method: 'PUT',
      headers: { 'x-custom': 'yes', 'content-type': 'text/plain', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      body: 'hello',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-served-by')).toBe('a');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const seen = (await res.json()) as { method: string; url: string; headers: Record<string, string>; size: number };
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/inspect?x=1&y=%20two');
    expect(seen.size).toBe(5);
    expect(seen.headers['x-custom']).toBe('yes');
    expect(seen.headers['x-forwarded-prefix']).toBe('/calc');
    expect(seen.headers['x-forwarded-for']).toBeTruthy();
    expect(seen.headers['x-request-id']).toBe(res.headers.get('x-request-id'));
  });

  it('forwards the handler’s own 404 and a GET on the service root', async () => {
    const res = await fetch(`${gw.url}/calc/nothing`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('no /nothing here');
    const root = await fetch(`${gw.url}/calc?q=1`);
    expect(root.status).toBe(404);
    expect(await root.text()).toBe('no / here');
  });

  it('streams a large request body through and the echo back, intact', async () => {
    const body = randomBytes(12 * 1024 * 1024);
    const res = await fetch(`${gw.url}/calc/echo`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
    expect(res.status).toBe(200);
    const back = new Uint8Array(await res.arrayBuffer());
    expect(back.length).toBe(body.length);
    expect(sha(back)).toBe(sha(body));
  });

  it('streams a large chunked request body (no content-length) both ways', async () => {
    const chunks = Array.from({ length: 40 }, () => randomBytes(256 * 1024));
    const whole = Buffer.concat(chunks);
    const { status, data } = await new Promise<{ status: number; data: Buffer }>((resolve, reject) => {
      const url = new URL(`${gw.url}/calc/echo`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
        const got: Buffer[] = [];
        res.on('data', (c: Buffer) => got.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, data: Buffer.concat(got) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      let i = 0;
      const write = () => {
        while (i < chunks.length) if (!req.write(chunks[i++])) return void req.once('drain', write);
        req.end();
      };
      write();
    });
    expect(status).toBe(200);
    expect(data.length).toBe(whole.length);
    expect(sha(data)).toBe(sha(whole));
  });

  it('streams a large response body intact', async () => {
    const size = 24 * 1024 * 1024 + 7;
    const res = await fetch(`${gw.url}/calc/big?size=${size}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(size));
    const got = new Uint8Array(await res.arrayBuffer());
    expect(got.length).toBe(size);
    let bad = -1;
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== i % 251) {
        bad = i;
        break;
      }
    }
    expect(bad).toBe(-1);
  });

  it('survives clients that go away mid-download and mid-upload, and counts nothing left in flight', async () => {
    for (let i = 0; i < 5; i++) {
      const abort = new AbortController();
      const res = await fetch(`${gw.url}/calc/big?size=${64 * 1024 * 1024}`, { signal: abort.signal });
      const reader = res.body!.getReader();
      await reader.read();
      abort.abort();
      await reader.closed.catch(() => {});
    }
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const url = new URL(`${gw.url}/calc/echo`);
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-length': String(8 * 1024 * 1024) } });
        req.on('error', () => resolve());
        req.on('close', () => resolve());
        req.write(randomBytes(1024 * 1024), () => setTimeout(() => req.destroy(), 20));
      });
    }
    expect((await fetch(`${gw.url}/ping`)).status).toBe(200);
    let metrics = '';
    await until(
      async () => /^meshrpc_gateway_calls_in_flight 0$/m.test((metrics = await (await fetch(`${gw.url}/metrics`)).text())),
      5000,
      'no call in flight',
    ).catch((err) => {
      throw new Error(`${err.message}: ${/^meshrpc_gateway_calls_in_flight .*$/m.exec(metrics)?.[0]}`);
    });
    const res = await fetch(`${gw.url}/calc/inspect`);
    expect(res.status).toBe(201);
  });

  it('answers 504 when the handler is slower than the request deadline, and keeps serving', async () => {
    const started = Date.now();
    const res = await fetch(`${gw.url}/calc/slow?ms=5000`, { headers: { 'x-request-timeout': '300' } });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('DEADLINE_EXCEEDED');
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await fetch(`${gw.url}/ping`)).status).toBe(200);
  });

  it('balances forwarded requests over the handler’s instances', async () => {
    const b = await startService(gw, { ...engine, SVC_ID: 'b' });
    await until(async () => (await instancesOf(gw, 'calc')) === 2, 10_000, 'two instances');
    // Round robin on the built-in mesh; NATS's queue group picks at random, so ask until both answered.
    const served = new Set<string>();
    for (let i = 0; i < 40 && served.size < 2; i++) {
      const res = await fetch(`${gw.url}/calc/inspect`);
      served.add(res.headers.get('x-served-by')!);
      await res.arrayBuffer();
    }
    expect(served).toEqual(new Set(['a', 'b']));
    await b.stop();
  });
}
