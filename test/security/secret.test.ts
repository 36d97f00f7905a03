/**
 * The shared-secret mode: nodes given the same MESHRPC_CLUSTER_SECRET link over mutual TLS 1.3
 * under a CA derived from it, may listen beyond loopback, and know each other's names; a node
 * with another secret or none cannot join; weak or conflicting settings are refused at start.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, createHandler, currentContext, defineService, Mesh } from '../../src/index.js';
import type { MeshOptions } from '../../src/mesh/options.js';
import { opensslClient } from '../helpers/openssl.js';

interface Greeter {
  whoCalls(): Promise<string>;
}
const spec = defineService<Greeter>('greeter', { whoCalls: [] });
const handler = createHandler(spec, { whoCalls: async () => currentContext()?.caller?.identity?.uri ?? 'nobody' });

const SECRET = 'k3p9V7qS1xZ0mW4tY8bN2cR6fH5jL0aE'; // 32 characters
const meshes: Mesh[] = [];

function node(name: string, options: Partial<MeshOptions> = {}): Mesh & { logs: string[] } {
  const logs: string[] = [];
  const push = (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`);
  const mesh = Object.assign(new Mesh({ name, logger: { debug() {}, info() {}, warn: push, error: push } as never, ...options }), { logs });
  meshes.push(mesh);
  return mesh;
}

async function until(ok: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end && !ok(); ) await new Promise((r) => setTimeout(r, 25));
  return ok();
}

afterAll(async () => {
  await Promise.all(meshes.map((m) => m.close()));
});

describe('MESHRPC_CLUSTER_SECRET', () => {
  let greeter: Mesh & { logs: string[] };

  it('links nodes that share it over mutual TLS, beyond loopback too, and names the caller', async () => {
    greeter = node('greeter', { clusterSecret: SECRET }).publish(handler);
    await greeter.listen('0.0.0.0:0'); // allowed: the links are TLS
    expect(greeter.security()).toMatchObject({ mode: 'tls', identity: 'spiffe://cluster.meshrpc/greeter' });
    const port = greeter.address!.split(':').pop();
    const caller = node('gateway', { clusterSecret: SECRET, nodes: [`127.0.0.1:${port}`] });
    await caller.listen();
    await caller.waitFor('greeter', 5000);
    expect(await createClient(spec, caller).whoCalls()).toBe('spiffe://cluster.meshrpc/gateway');
  });

  it('is TLS 1.3 on the wire: openssl s_client without a certificate gets no byte of the mesh protocol', async () => {
    const port = greeter.address!.split(':').pop();
    const { stdout } = await opensslClient(`127.0.0.1:${port}`, ['-brief']);
    expect(stdout).not.toContain('HELLO');
    expect(await until(() => greeter.logs.some((l) => l.includes('mesh peer refused') && l.includes('no certificate')))).toBe(true);
  });

  it('keeps out a node with another secret, and one with none', async () => {
    const port = greeter.address!.split(':').pop();
    const other = node('intruder', { clusterSecret: `${SECRET}-other`, nodes: [`127.0.0.1:${port}`] });
    await other.listen();
    await expect(other.waitFor('greeter', 1500)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    // The intruder cannot verify the greeter's certificate under its own derived CA, nor the greeter its.
    expect(other.logs.some((l) => l.startsWith('mesh peer refused'))).toBe(true);
    expect(greeter.members().map((m) => m.name)).not.toContain('intruder');
    const none = node('plain', { nodes: [`127.0.0.1:${port}`] });
    await none.listen();
    await expect(none.waitFor('greeter', 1500)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(greeter.members().map((m) => m.name).sort()).toEqual(['gateway', 'greeter']);
  });

  it('refuses a short secret, a secret beside certificate files, and an authorization policy, saying why', async () => {
    await expect(node('a', { clusterSecret: 'too-short' }).listen()).rejects.toThrow(/at least 32.*openssl rand -base64 32/);
    await expect(node('b', { clusterSecret: SECRET, tls: { ca: '/x', cert: '/y', key: '/z' } }).listen()).rejects.toThrow(/not both/);
    await expect(node('c', { clusterSecret: SECRET, authorization: { greeter: ['gateway'] } }).listen()).rejects.toThrow(/every holder of the secret can claim any name/);
    await expect(node('bad name!', { clusterSecret: SECRET }).listen()).rejects.toThrow(/a node's name becomes its identity/);
  });
});
