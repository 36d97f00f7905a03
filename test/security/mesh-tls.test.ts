/**
 * Mutual TLS on the mesh itself: nodes with certificates from the mesh CA join and call each
 * other; a node without a certificate, or with another CA's, can neither join, list members nor
 * call; `openssl s_client` without a client certificate gets not one byte of the mesh protocol;
 * and a plaintext node refuses to listen beyond loopback unless asked for.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler, defineService, Mesh } from '../../src/index.js';
import { createCa, issueCertificate, type CertificatePair } from '../../src/security/certs.js';
import { opensslClient } from '../helpers/openssl.js';

interface Greeter {
  greet(name: string): Promise<string>;
}
const spec = defineService<Greeter>('greeter', { greet: ['name'] });
const greeterHandler = createHandler(spec, { greet: async (name: string) => `Hello, ${name}` });

let dir = '';
let ca: CertificatePair;
const meshes: Mesh[] = [];

async function tlsFor(name: string, authority = ca) {
  // The bundle trusts the mesh CA (so a forged node accepts the real ones) and its own issuer.
  const pair = await issueCertificate({ ca: authority, name });
  const base = path.join(dir, `${name}-${Math.random().toString(36).slice(2)}`);
  await writeFile(`${base}.pem`, pair.cert);
  await writeFile(`${base}.key`, pair.key);
  await writeFile(`${base}.ca.pem`, authority === ca ? ca.cert : `${ca.cert}${authority.cert}`);
  return { ca: `${base}.ca.pem`, cert: `${base}.pem`, key: `${base}.key` };
}

function node(name: string, options: Partial<ConstructorParameters<typeof Mesh>[0]> = {}): Mesh {
  const logs: string[] = [];
  const mesh = new Mesh({
    name,
    heartbeatInterval: 200,
    logger: { debug() {}, info() {}, warn: (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`), error: (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`) } as never,
    ...options,
  });
  Object.assign(mesh, { logs });
  meshes.push(mesh);
  return mesh;
}
const logsOf = (m: Mesh) => (m as unknown as { logs: string[] }).logs;

async function until(ok: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end && !ok(); ) await new Promise((r) => setTimeout(r, 25));
  return ok();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshrpc-mesh-tls-'));
  ca = await createCa({ trustDomain: 'mesh.test' });
});
afterAll(async () => {
  await Promise.all(meshes.map((m) => m.close()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a mesh over mutual TLS', () => {
  let greeter: Mesh;

  beforeAll(async () => {
    greeter = node('greeter', { tls: await tlsFor('greeter') });
    greeter.publish(greeterHandler);
    await greeter.listen('127.0.0.1:0');
  });

  it('lets nodes with the mesh CA\'s certificates join and call', async () => {
    const caller = node('gateway', { nodes: [greeter.address!], tls: await tlsFor('gateway') });
    await caller.listen();
    await caller.waitFor('greeter', 5000);
    const reply = await caller.call({ service: 'greeter', method: 'greet' }, Buffer.from('{"name":"Max"}'), { codec: 'json' });
    expect(JSON.parse(Buffer.from(reply).toString())).toBe('Hello, Max');
  });

  it('keeps a node without a certificate out: no join, no member list, no call', async () => {
    const intruder = node('intruder', { nodes: [greeter.address!] });
    await intruder.listen();
    await expect(intruder.waitFor('greeter', 1500)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(intruder.services().filter((s) => s.name === 'greeter')).toEqual([]);
    await expect(intruder.call({ service: 'greeter', method: 'greet' }, Buffer.from('{"name":"x"}'), { codec: 'json', timeout: 500 })).rejects.toBeDefined();
    // Plaintext bytes are no TLS handshake: the greeter logs the failed handshake.
    expect(await until(() => logsOf(greeter).some((l) => l.includes('mesh TLS handshake failed')))).toBe(true);
  });

  it('keeps a node with another CA\'s certificate out', async () => {
    const other = await createCa({ trustDomain: 'mesh.test' });
    const forged = node('greeter', { nodes: [greeter.address!], tls: await tlsFor('gateway', other) });
    await forged.listen();
    await expect(forged.waitFor('greeter', 1500)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(forged.services().find((s) => s.name === 'greeter')?.instances ?? []).toEqual([]);
    expect(await until(() => logsOf(greeter).some((l) => l.includes('mesh peer refused')))).toBe(true);
  });

  it('gives openssl s_client without a client certificate no byte of the mesh protocol; with one, a verified TLS 1.3 session', async () => {
    const without = await opensslClient(greeter.address!, ['-quiet', '-CAfile', (await tlsFor('x')).ca]);
    expect(without.stdout).toBe('');
    const files = await tlsFor('probe');
    const withCert = (await opensslClient(greeter.address!, ['-CAfile', files.ca, '-cert', files.cert, '-key', files.key])).stdout;
    expect(withCert).toContain('Verify return code: 0 (ok)');
    expect(withCert).toContain('TLSv1.3');
  });
});

describe('plaintext beyond loopback', () => {
  it('refuses to listen on a non-loopback address without TLS, saying how to set certificates up', async () => {
    const open = node('open');
    await expect(open.listen('0.0.0.0:0')).rejects.toThrow(/meshrpc certs init/);
  });

  it('listens there when plaintext is asked for explicitly', async () => {
    const open = node('open', { insecure: true });
    await open.listen('0.0.0.0:0');
    expect(open.address).toMatch(/:\d+$/);
  });
});
