/**
 * The gateway's HTTP edge: HTTPS when given a certificate (checked with a client that trusts
 * only the mesh CA), and a per-client rate limit answering 429 RESOURCE_EXHAUSTED with
 * Retry-After while operations routes stay open. A real gateway over a mesh in this process.
 */
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { createHandler, defineService, Mesh } from '../../src/index.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCa, issueCertificate } from '../../src/security/certs.js';
import { killAll, repoRoot, startCommand } from '../helpers/procs.js';

interface Echo {
  echo(text: string): Promise<string>;
}
const spec = defineService<Echo>('echo', { echo: ['text'] });
const meshes: Mesh[] = [];
const gateways: Gateway[] = [];

async function gatewayWith(options: Parameters<typeof createGateway>[1]): Promise<string> {
  const node = new Mesh({ name: 'gateway' });
  node.publish(createHandler(spec, { echo: async (text: string) => text }));
  await node.listen('127.0.0.1:0');
  meshes.push(node);
  const gateway = createGateway(node, { accessLog: false, logger: false, ...options });
  gateways.push(gateway);
  return gateway.listen('127.0.0.1:0');
}

afterAll(async () => {
  await killAll();
  for (const g of gateways) await g.close();
  await Promise.all(meshes.map((m) => m.close()));
});

describe('HTTPS', () => {
  let address = '';
  let ca = '';
  beforeAll(async () => {
    const authority = await createCa({ trustDomain: 'edge.test' });
    ca = authority.cert;
    const pair = await issueCertificate({ ca: authority, name: 'gateway', dns: ['localhost'], ips: ['127.0.0.1'] });
    address = await gatewayWith({ https: pair });
  });

  it('serves every route over TLS to a client that trusts the CA', async () => {
    const port = Number(address.split(':')[1]);
    const { status, body, protocol } = await new Promise<{ status: number; body: string; protocol: string | null }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/echo/echo', method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        const protocol = (res.socket as import('node:tls').TLSSocket).getProtocol();
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, protocol }));
      });
      req.once('error', reject);
      req.end('{"text":"over tls"}');
    });
    expect(status).toBe(200);
    expect(JSON.parse(body)).toBe('over tls');
    expect(protocol).toMatch(/^TLSv1\.[23]$/);
  });

  it('does not answer plain HTTP on the same port', async () => {
    await expect(fetch(`http://${address}/healthz`)).rejects.toThrow();
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After past the limit, and never throttles operations routes', async () => {
    const address = await gatewayWith({ rateLimit: { max: 3, timeWindow: 60_000 } });
    const call = () => fetch(`http://${address}/echo/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call()).status);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await call();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RESOURCE_EXHAUSTED');
    for (let i = 0; i < 5; i++) expect((await fetch(`http://${address}/healthz`)).status).toBe(200);
  });
});

describe('meshrpc gateway', () => {
  it('serves HTTPS from --https-cert/--https-key and limits with --rate-limit', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'meshrpc-edge-'));
    try {
      const authority = await createCa({ trustDomain: 'edge.test' });
      const pair = await issueCertificate({ ca: authority, name: 'gateway', ips: ['127.0.0.1'] });
      await writeFile(path.join(dir, 'gw.pem'), pair.cert);
      await writeFile(path.join(dir, 'gw.key'), pair.key);
      const gw = await startCommand(
        process.execPath,
        [path.join(repoRoot, 'bin/meshrpc.js'), 'gateway', '--listen', '127.0.0.1:0', '--mesh', '127.0.0.1:0', '--https-cert', path.join(dir, 'gw.pem'), '--https-key', path.join(dir, 'gw.key'), '--rate-limit', '2', '--no-access-log'],
        { readyPrefix: 'meshrpc gateway:', readyTimeout: 60_000 },
      );
      const port = Number(/http \S+?:(\d+),/.exec(gw.output())![1]);
      const get = (p: string) =>
        new Promise<number>((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port, path: p, ca: authority.cert }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          });
          req.once('error', reject);
          req.end();
        });
      // "/" is an ordinary route (not an operations one), so the limit counts it.
      expect([await get('/'), await get('/'), await get('/')]).toEqual([200, 200, 429]);
      expect(await get('/healthz')).toBe(200);
      await gw.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
