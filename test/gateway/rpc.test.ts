/**
 * The automatic routes through a real gateway process: POST /<service>/<method> with JSON named
 * arguments, error mapping to HTTP statuses, deadlines, body limits, balancing between
 * instances, and routes that appear and disappear as services come and go.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, type Started as Proc } from '../helpers/procs.js';
import { instancesOf, post, startGatewayProc, startService, until, type GatewayProc } from './helpers.js';

let gw: GatewayProc;
let a: Proc;

beforeAll(async () => {
  gw = await startGatewayProc(['--require', 'calc', '--body-limit', '4096']);
  a = await startService(gw, { SVC_ID: 'a' });
  await until(async () => (await fetch(`${gw.url}/readyz`)).status === 200, 10_000, 'readyz');
});

afterAll(async () => {
  await killAll();
});

describe('POST /<service>/<method>', () => {
  it('calls the method with named arguments and returns the JSON result', async () => {
    const res = await post(gw, '/calc/add', { a: 2, b: 40 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toBe(42);
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('accepts curl-style form content types and empty bodies', async () => {
    const res = await fetch(`${gw.url}/calc/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"a":1,"b":1}',
    });
    expect(await res.json()).toBe(2);
    const who = await fetch(`${gw.url}/calc/whoami`, { method: 'POST' });
    expect(who.status).toBe(200);
    expect(await who.json()).toBe('a');
  });

  it('answers 400 for bad JSON, both cheaply caught and malformed inside', async () => {
    for (const body of ['not json', '{"a": 1,', '[1, 2]']) {
      const res = await post(gw, '/calc/add', body);
      expect(res.status, body).toBe(400);
      const err = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(err.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('answers 400 with the problem list for a wrong argument type', async () => {
    const res = await post(gw, '/calc/add', { a: 'one', b: 2 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; details: { problems: unknown[] } } };
    expect(body.error.code).toBe('INVALID_ARGUMENT');
    expect(body.error.details.problems).toEqual([{ path: 'a', expected: 'number', got: 'string' }]);
  });

  it('answers 404 for an unknown service or method', async () => {
    const svc = await post(gw, '/nosuch/thing', {});
    expect(svc.status).toBe(404);
    expect(((await svc.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const method = await post(gw, '/calc/nosuch', {});
    expect(method.status).toBe(404); // calc publishes an HTTP handler, which answers 404 for /nosuch
  });

  it('maps error codes to HTTP statuses with a JSON error body', async () => {
    const cases: [string, number][] = [
      ['INVALID_ARGUMENT', 400],
      ['UNAUTHENTICATED', 401],
      ['PERMISSION_DENIED', 403],
      ['NOT_FOUND', 404],
      ['RESOURCE_EXHAUSTED', 429],
      ['INTERNAL', 500],
      ['UNIMPLEMENTED', 501],
      ['UNAVAILABLE', 503],
      ['DEADLINE_EXCEEDED', 504],
    ];
    for (const [code, status] of cases) {
      const res = await post(gw, '/calc/fail', { code });
      expect(res.status, code).toBe(status);
      const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
      expect(body.error).toEqual({ code, message: `failing with ${code} as asked`, details: { asked: code }, remoteName: 'MeshError' });
    }
  });

  it('carries the request deadline into the mesh call: a slow method past it answers 504', async () => {
    const started = Date.now();
    const res = await post(gw, '/calc/slow', { ms: 5000 }, { 'x-request-timeout': '300' });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('DEADLINE_EXCEEDED');
    expect(Date.now() - started).toBeLessThan(2000);
    const fast = await post(gw, '/calc/slow', { ms: 10 }, { 'x-request-timeout': '2000' });
    expect(fast.status).toBe(200);
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await post(gw, '/calc/add', JSON.stringify({ a: 1, b: 2, pad: 'x'.repeat(10_000) }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RESOURCE_EXHAUSTED');
    // Chunked (no content-length): caught while reading.
    const chunked = await fetch(`${gw.url}/calc/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(`{"a":1,"b":2,"pad":"${'y'.repeat(10_000)}"}`));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('reads a body that arrives with its headers, in pieces, or chunked', async () => {
    const body = '{"a":20,"b":22}';
    const whole = `POST /calc/add HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
    expect(await rawHttp(gw, [whole])).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\n\r\n42$/);
    // The handler runs before the rest of the body has arrived: it must wait for it.
    expect(await rawHttp(gw, [whole.slice(0, -6), whole.slice(-6)])).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\n\r\n42$/);
    const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
    const chunked = `POST /calc/add HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n`;
    expect(await rawHttp(gw, [chunked + chunk(body.slice(0, 7)) + chunk(body.slice(7)) + '0\r\n\r\n'])).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\n\r\n42$/);
    const big = `{"a":1,"b":2,"pad":"${'z'.repeat(5000)}"}`;
    expect(await rawHttp(gw, [chunked + chunk(big) + '0\r\n\r\n'])).toMatch(/^HTTP\/1\.1 413/);
  });

  it('answers 405 for an RPC method called with GET when the service publishes no HTTP handler', async () => {
    const plain = await startService(gw, { SVC_NAME: 'plain', SVC_HTTP: '0' });
    await until(async () => (await instancesOf(gw, 'plain')) === 1, 10_000, 'plain');
    const res = await fetch(`${gw.url}/plain/whoami`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await fetch(`${gw.url}/plain/nothing/here`)).status).toBe(501); // a known service without that method: UNIMPLEMENTED
    await plain.stop();
  });
});

describe('instances and membership', () => {
  it('alternates calls between two instances', async () => {
    const b = await startService(gw, { SVC_ID: 'b' });
    await until(async () => (await instancesOf(gw, 'calc')) === 2, 10_000, 'two calc instances');
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push((await (await post(gw, '/calc/whoami', {})).json()) as string);
    expect(new Set(seen)).toEqual(new Set(['a', 'b']));
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
    await b.stop();
    await until(async () => (await instancesOf(gw, 'calc')) === 1, 10_000, 'b gone');
  });

  it('adds routes when a service joins and answers 503 once it left, 404 for never-seen ones', async () => {
    expect((await post(gw, '/extra/whoami', {})).status).toBe(404);
    const extra = await startService(gw, { SVC_NAME: 'extra', SVC_ID: 'e' });
    await until(async () => (await post(gw, '/extra/whoami', {})).status === 200, 10_000, 'extra route');
    expect(await (await post(gw, '/extra/add', { a: 1, b: 2 })).json()).toBe(3);
    await extra.stop();
    await until(async () => (await instancesOf(gw, 'extra')) === 0, 10_000, 'extra gone');
    const gone = await post(gw, '/extra/whoami', {});
    expect(gone.status).toBe(503);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
  });

  it('answers 503 within 1 s when the only instance is killed mid-call, and does not hang after', async () => {
    const solo = await startService(gw, { SVC_NAME: 'solo', SVC_ID: 's' });
    await until(async () => (await instancesOf(gw, 'solo')) === 1, 10_000, 'solo');
    const inflight = post(gw, '/solo/slow', { ms: 8000 });
    await new Promise((r) => setTimeout(r, 200));
    const killedAt = Date.now();
    await solo.kill();
    const res = await inflight;
    expect(res.status).toBe(503);
    expect(Date.now() - killedAt).toBeLessThan(1000);
    const after = Date.now();
    const next = await post(gw, '/solo/whoami', {});
    expect(next.status).toBe(503);
    expect(Date.now() - after).toBeLessThan(1000);
  });
});

/** Write a raw HTTP/1.1 request in pieces, 100 ms apart; resolves with all the connection read. */
function rawHttp(gw: GatewayProc, pieces: string[]): Promise<string> {
  const { hostname, port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (out += d));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error(`no complete answer in 5 s: ${out}`)));
    pieces.forEach((piece, i) => setTimeout(() => socket.write(piece), i * 100));
  });
}
