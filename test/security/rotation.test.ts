/**
 * Rotating the CA and every node certificate under load loses no call: the bundle gains the new
 * CA, nodes get certificates from it, the old CA leaves the bundle, each step a file write that
 * the nodes reload while 8 callers keep calling. New links use the new material (a node with a
 * new-CA certificate joins after step 2; one with an old-CA certificate is refused after step 3).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createHandler, defineService, Mesh } from '../../src/index.js';
import type { MeshOptions } from '../../src/mesh/options.js';
import { createCa, issueCertificate, type CertificatePair } from '../../src/security/certs.js';

interface Greeter {
  greet(name: string): Promise<string>;
}
const spec = defineService<Greeter>('greeter', { greet: ['name'] });

let dir = '';
const meshes: Mesh[] = [];

function node(name: string, options: Partial<MeshOptions>): Mesh & { logs: string[] } {
  const logs: string[] = [];
  const push = (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`);
  const mesh = Object.assign(new Mesh({ name, logger: { debug() {}, info: push, warn: push, error: push } as never, ...options }), { logs });
  meshes.push(mesh);
  return mesh;
}

async function until(ok: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end && !ok(); ) await new Promise((r) => setTimeout(r, 25));
  return ok();
}

async function writeFiles(name: string, pair: CertificatePair, caBundle: string) {
  const base = path.join(dir, name);
  await writeFile(`${base}.ca.pem`, caBundle);
  await writeFile(`${base}.pem`, pair.cert);
  await writeFile(`${base}.key`, pair.key);
  return { ca: `${base}.ca.pem`, cert: `${base}.pem`, key: `${base}.key` };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshrpc-rotation-'));
});
afterAll(async () => {
  await Promise.all(meshes.map((m) => m.close()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('CA rotation', () => {
  it('under load: no failed call, new links on the new CA, old-CA certificates refused at the end', async () => {
    const [oldCa, newCa] = await Promise.all([createCa({ trustDomain: 'rot.test' }), createCa({ trustDomain: 'rot.test' })]);
    const greeterFiles = await writeFiles('greeter', await issueCertificate({ ca: oldCa, name: 'greeter' }), oldCa.cert);
    const callerFiles = await writeFiles('gateway', await issueCertificate({ ca: oldCa, name: 'gateway' }), oldCa.cert);
    const greeter = node('greeter', { tls: greeterFiles });
    greeter.publish(createHandler(spec, { greet: async (n: string) => `Hello, ${n}` }));
    await greeter.listen('127.0.0.1:0');
    const caller = node('gateway', { tls: callerFiles, nodes: [greeter.address!] });
    await caller.listen();
    await caller.waitFor('greeter', 5000);

    // 8 workers call until told to stop (and at most 60 s / 2M calls).
    const client = createClient(spec, caller);
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const deadline = Date.now() + 60_000;
    const worker = async () => {
      while (!stop && Date.now() < deadline && ok < 2_000_000) {
        try {
          await client.greet('x');
          ok++;
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    const reloads = (m: Mesh & { logs: string[] }) => m.logs.filter((l) => l.startsWith('TLS certificate reloaded')).length;
    const step = async (what: string, write: () => Promise<unknown>) => {
      const before = [reloads(greeter), reloads(caller)];
      await write();
      const done = await until(() => reloads(greeter) > before[0]! && reloads(caller) > before[1]!, 10_000);
      expect(done, `both nodes reloaded after: ${what}`).toBe(true);
    };

    const both = `${oldCa.cert}${newCa.cert}`;
    await step('the bundle trusts both CAs', () => Promise.all([writeFile(greeterFiles.ca, both), writeFile(callerFiles.ca, both)]));
    await step('certificates from the new CA', async () => {
      const [g, c] = await Promise.all([issueCertificate({ ca: newCa, name: 'greeter' }), issueCertificate({ ca: newCa, name: 'gateway' })]);
      await Promise.all([writeFile(greeterFiles.cert, g.cert), writeFile(greeterFiles.key, g.key), writeFile(callerFiles.cert, c.cert), writeFile(callerFiles.key, c.key)]);
    });
    const fresh = node('fresh', { tls: await writeFiles('fresh', await issueCertificate({ ca: newCa, name: 'fresh' }), newCa.cert), nodes: [greeter.address!] });
    await fresh.listen();
    await fresh.waitFor('greeter', 5000);

    await step('the old CA leaves the bundle', () => Promise.all([writeFile(greeterFiles.ca, newCa.cert), writeFile(callerFiles.ca, newCa.cert)]));
    const stale = node('stale', { tls: await writeFiles('stale', await issueCertificate({ ca: oldCa, name: 'stale' }), both), nodes: [greeter.address!] });
    await stale.listen();
    await expect(stale.waitFor('greeter', 1500)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(greeter.logs.some((l) => l.startsWith('mesh peer refused'))).toBe(true);

    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(1000);
  }, 90_000);
});
