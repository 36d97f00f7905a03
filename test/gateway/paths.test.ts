/**
 * The gateway refuses request targets that a handler further on could read as another path,
 * before routing (so `POST /greeter/../healthz` never reaches the greeter, nor `/healthz`), and
 * answers 413 for every body over the limit of a forwarded handler, chunked ones included.
 * A real gateway and a published Node HTTP handler on a mesh in this process; raw sockets,
 * since fetch() would normalise the very paths under test.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, publishHttpHandler, type Gateway } from '../../src/gateway/index.js';
import { requestTargetProblem } from '../../src/gateway/paths.js';
import { Mesh } from '../../src/index.js';

const seen: string[] = [];
let gateway: Gateway;
let base = '';
const meshes: Mesh[] = [];

/** Send raw bytes, read the whole response (the server closes, or 5 s pass). */
function raw(request: string | Buffer[]): Promise<string> {
  const [host, port] = base.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    let got = '';
    socket.on('data', (d) => (got += d));
    // The server may answer (413) and close while we are still sending: EPIPE then is expected.
    socket.once('error', (err) => (got ? resolve(got) : reject(err)));
    socket.once('close', () => resolve(got));
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.once('close', () => clearTimeout(timer));
    socket.once('connect', async () => {
      for (const part of typeof request === 'string' ? [Buffer.from(request)] : request) {
        if (socket.destroyed) break;
        socket.write(part);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
  });
}

const statusOf = (response: string) => Number(response.slice(9, 12));

beforeAll(async () => {
  const service = new Mesh({ name: 'files' });
  publishHttpHandler(service, 'files', (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.once('end', () => res.end('ok'));
  });
  await service.listen('127.0.0.1:0');
  const node = new Mesh({ name: 'gateway', nodes: [service.address!] });
  await node.listen('127.0.0.1:0');
  meshes.push(service, node);
  await node.waitFor('files', 5000);
  gateway = createGateway(node, { handlerBodyLimit: 64 * 1024, accessLog: false });
  base = await gateway.listen('127.0.0.1:0');
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(meshes.map((m) => m.close()));
});

describe('request targets', () => {
  it('refuses dot segments, encoded dots and slashes, backslashes and absolute-form, with 400 INVALID_ARGUMENT', async () => {
    const refused = [
      'GET /files/../../etc/passwd HTTP/1.1',
      'POST /files/../healthz HTTP/1.1',
      'GET /files/%2e%2e/%2E%2e/etc/passwd HTTP/1.1',
      'GET /files/./x HTTP/1.1',
      'GET /files/a%2f..%2fb HTTP/1.1',
      'GET /files/a\\..\\b HTTP/1.1',
      'GET http://evil.example/files/x HTTP/1.1',
    ];
    for (const line of refused) {
      const response = await raw(`${line}\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      expect(statusOf(response), line).toBe(400);
      expect(response, line).toContain('"code":"INVALID_ARGUMENT"');
      expect(response, line).toContain('request target refused');
    }
    expect(seen).toEqual([]);
  });

  it('forwards ordinary paths, dots inside names and encoded characters as they are', async () => {
    for (const path of ['/files/report.v2.txt', '/files/a%20b?x=../y', '/files/...hidden']) {
      const response = await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(statusOf(response), path).toBe(200);
    }
    expect(seen).toEqual(['GET /report.v2.txt', 'GET /a%20b?x=../y', 'GET /...hidden']);
    expect(requestTargetProblem('/greeter/greet')).toBeUndefined();
  });
});

describe('forwarded bodies over the limit', () => {
  it('answer 413, with a content-length and chunked', async () => {
    const declared = await raw(`POST /files/up HTTP/1.1\r\nHost: x\r\nContent-Length: ${200 * 1024}\r\nConnection: close\r\n\r\n`);
    expect(statusOf(declared)).toBe(413);
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const parts = [Buffer.from('POST /files/up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n')];
    for (let i = 0; i < 12; i++) parts.push(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    parts.push(Buffer.from('0\r\n\r\n'));
    const chunked = await raw(parts);
    expect(statusOf(chunked)).toBe(413);
    expect(chunked).toContain('"code":"RESOURCE_EXHAUSTED"');
  });
});
