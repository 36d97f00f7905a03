/**
 * A node says how its links are secured in its health: the gateway's /healthz shows mutual TLS,
 * its identity and when its certificate ends, and warns (still 200) in the certificate's last
 * third of life; on loopback plaintext it says so.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { Mesh } from '../../src/index.js';
import { createCa, issueCertificate, type CertificatePair } from '../../src/security/certs.js';

const DAY = 86_400_000;
let dir = '';
let ca: CertificatePair;
const meshes: Mesh[] = [];
const gateways: Gateway[] = [];

async function healthOf(tls?: { notBefore: Date; days: number }): Promise<{ status: number; body: Record<string, unknown> }> {
  let files;
  if (tls) {
    const pair = await issueCertificate({ ca, name: 'gateway', ...tls });
    const base = path.join(dir, `gw-${Math.random().toString(36).slice(2)}`);
    await Promise.all([writeFile(`${base}.pem`, pair.cert), writeFile(`${base}.key`, pair.key), writeFile(`${base}.ca.pem`, ca.cert)]);
    files = { ca: `${base}.ca.pem`, cert: `${base}.pem`, key: `${base}.key` };
  }
  const node = new Mesh({ name: 'gateway', ...(files && { tls: files }) });
  meshes.push(node);
  await node.listen('127.0.0.1:0');
  const gateway = createGateway(node, { accessLog: false, logger: false });
  gateways.push(gateway);
  const res = await fetch(`http://${await gateway.listen('127.0.0.1:0')}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshrpc-health-'));
  ca = await createCa({ trustDomain: 'mesh.test' });
});
afterAll(async () => {
  for (const g of gateways) await g.close();
  await Promise.all(meshes.map((m) => m.close()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('/healthz and the node\'s certificate', () => {
  it('shows mutual TLS, the identity and the end of a fresh certificate, without a warning', async () => {
    const { status, body } = await healthOf({ notBefore: new Date(Date.now() - DAY), days: 365 });
    expect(status).toBe(200);
    expect(body.security).toMatchObject({ mode: 'tls', identity: 'spiffe://mesh.test/gateway', certificate: { expiresSoon: false } });
    expect(body.warnings).toBeUndefined();
  });

  it('warns, still 200, when the certificate is in the last third of its life', async () => {
    const notBefore = new Date(Math.floor((Date.now() - 300 * DAY) / 1000) * 1000); // X.509 times are whole seconds
    const { status, body } = await healthOf({ notBefore, days: 365 });
    expect(status).toBe(200);
    const notAfter = new Date(notBefore.getTime() + 365 * DAY).toISOString();
    expect(body.security).toMatchObject({ mode: 'tls', certificate: { notAfter, expiresSoon: true } });
    expect(body.warnings).toEqual([`this node's TLS certificate expires at ${notAfter}: issue a new one`]);
  });

  it('says plaintext on loopback', async () => {
    const { body } = await healthOf();
    expect(body.security).toEqual({ mode: 'plaintext' });
  });
});
