/**
 * Identity means something on a mutual-TLS mesh: a node publishes only what its certificate
 * names, gossip about a node is taken only from that node, an instance id cannot be claimed by
 * another certificate, a served call knows who made it, and an authorization policy decides who
 * may call what. The attacker is a real TLS client with a valid certificate from the mesh CA
 * (for `billing`), speaking the mesh protocol by hand.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize, createClient, createHandler, currentContext, defineService, LocalCaller, Mesh, MeshError } from '../../src/index.js';
import { parsePolicy, policyFromEnv } from '../../src/security/authorize.js';
import { createCa, issueCertificate, type CertificatePair } from '../../src/security/certs.js';
import { FrameDecoder } from '../../src/mesh/wire/decoder.js';
import { encodeFrame, FrameType, type FrameTypeValue } from '../../src/mesh/wire/frame.js';
import type { MeshOptions } from '../../src/mesh/options.js';

interface Greeter {
  greet(name: string): Promise<string>;
  whoCalls(): Promise<string>;
}
const greeterSpec = defineService<Greeter>('greeter', { greet: ['name'], whoCalls: [] });
const greeterHandler = (from: string) =>
  createHandler(greeterSpec, {
    greet: async (name: string) => `Hello, ${name} from ${from}`,
    whoCalls: async () => currentContext()?.caller?.identity?.name ?? 'nobody',
  });

interface Vault {
  open(): Promise<string>;
  peek(): Promise<string>;
}
const vaultSpec = defineService<Vault>('vault', { open: [], peek: [] });

let dir = '';
let ca: CertificatePair;
const meshes: Mesh[] = [];
const sockets: Socket[] = [];

type TlsFiles = { ca: string; cert: string; key: string };
async function tlsFor(name: string, services: string[] = []): Promise<TlsFiles> {
  const pair = await issueCertificate({ ca, name, services });
  const base = path.join(dir, `${name}-${Math.random().toString(36).slice(2)}`);
  await Promise.all([writeFile(`${base}.pem`, pair.cert), writeFile(`${base}.key`, pair.key), writeFile(`${base}.ca.pem`, ca.cert)]);
  return { ca: `${base}.ca.pem`, cert: `${base}.pem`, key: `${base}.key` };
}

function node(name: string, options: Partial<MeshOptions> = {}): Mesh & { logs: string[] } {
  const logs: string[] = [];
  const push = (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`);
  const mesh = Object.assign(new Mesh({ name, heartbeatInterval: 500, logger: { debug() {}, info() {}, warn: push, error: push } as never, ...options }), { logs });
  meshes.push(mesh);
  return mesh;
}

async function until(ok: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end && !ok(); ) await new Promise((r) => setTimeout(r, 20));
  return ok();
}

/**
 * A hand-written mesh peer on a socket: it says HELLO, answers PING, and counts the REQUEST
 * frames it is sent (it never answers them). `sync()` resolves once the node has handled every
 * frame sent before it (a PING's PONG comes back in order).
 */
function rawPeer(socket: Socket, hello: object) {
  sockets.push(socket);
  const seen = { requests: 0, closed: false };
  let pongs: Array<() => void> = [];
  const decoder = new FrameDecoder(16 << 20);
  socket.on('data', (chunk: Buffer) => {
    for (const f of decoder.push(chunk)) {
      if (f.type === FrameType.PING) socket.write(encodeFrame(FrameType.PONG, 0, 0));
      if (f.type === FrameType.PONG) for (const p of pongs.splice(0)) p();
      if (f.type === FrameType.REQUEST) seen.requests++;
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => (seen.closed = true));
  socket.write(encodeFrame(FrameType.HELLO, 0, 0, Buffer.from(JSON.stringify({ protocol: 1, addr: null, port: null, tags: [], maxFrame: 1 << 20, ...hello }))));
  return {
    seen,
    send: (type: FrameTypeValue, body: object) => socket.write(encodeFrame(type, 0, 0, Buffer.from(JSON.stringify(body)))),
    sync: () =>
      new Promise<void>((resolve) => {
        pongs.push(resolve);
        socket.write(encodeFrame(FrameType.PING, 0, 0));
      }),
  };
}

async function tlsSocket(address: string, files: TlsFiles): Promise<Socket> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const [cert, key, caPem] = await Promise.all([readFile(files.cert), readFile(files.key), readFile(files.ca)]);
  const socket = tlsConnect({ host, port, cert, key, ca: caPem, minVersion: 'TLSv1.3', checkServerIdentity: () => undefined });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  return socket;
}

function plainSocket(address: string): Promise<Socket> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket = netConnect({ host, port });
  return new Promise((resolve, reject) => socket.once('connect', () => resolve(socket)).once('error', reject));
}

const instancesOf = (m: Mesh, service: string) => m.services().find((s) => s.name === service)?.instances ?? [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshrpc-identity-'));
  ca = await createCa({ trustDomain: 'mesh.test' });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(meshes.map((m) => m.close()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('on a mutual-TLS mesh', () => {
  let greeter: Mesh;
  let gateway: Mesh & { logs: string[] };
  let billing: TlsFiles;

  beforeAll(async () => {
    greeter = node('greeter', { tls: await tlsFor('greeter') }).publish(greeterHandler('greeter'));
    await greeter.listen('127.0.0.1:0');
    gateway = node('gateway', { nodes: [greeter.address!], tls: await tlsFor('gateway') });
    await gateway.listen('127.0.0.1:0');
    await gateway.waitFor('greeter', 5000);
    billing = await tlsFor('billing');
  });

  it('a node whose certificate names billing cannot take greeter\'s calls', async () => {
    const rogue = rawPeer(await tlsSocket(gateway.address!, billing), {
      id: 'rogue-billing',
      name: 'greeter',
      version: 1,
      services: [{ namespace: 'default', name: 'greeter', methods: ['greet', 'whoCalls'] }],
    });
    await rogue.sync();
    expect(gateway.logs.some((l) => l.startsWith('ignoring services the peer\'s certificate does not name') && l.includes('spiffe://mesh.test/billing'))).toBe(true);
    expect(instancesOf(gateway, 'greeter')).toEqual([greeter.id]);
    const client = createClient(greeterSpec, gateway);
    for (let i = 0; i < 20; i++) expect(await client.greet(`n${i}`)).toBe(`Hello, n${i} from greeter`);
    expect(rogue.seen.requests).toBe(0);
    expect(rogue.seen.closed).toBe(false); // the link stays: billing may still call
  });

  it('a forged gossip entry about a live instance changes nothing', async () => {
    const rogue = rawPeer(await tlsSocket(gateway.address!, billing), { id: 'rogue-gossip', name: 'billing', version: 1, services: [] });
    await rogue.sync();
    rogue.send(FrameType.GOSSIP, { members: [{ id: greeter.id, name: 'greeter', addr: greeter.address, tags: [], services: [], version: 1e9 }] });
    await rogue.sync();
    expect(instancesOf(gateway, 'greeter')).toEqual([greeter.id]);
    expect(await createClient(greeterSpec, gateway).greet('Max')).toBe('Hello, Max from greeter');
  });

  it('another certificate cannot claim a linked instance\'s id', async () => {
    const rogue = rawPeer(await tlsSocket(gateway.address!, billing), { id: greeter.id, name: 'greeter', version: 1e9, services: [] });
    expect(await until(() => rogue.seen.closed)).toBe(true);
    expect(gateway.logs.some((l) => l.startsWith('refusing peer: its instance id is linked under another identity'))).toBe(true);
    expect(instancesOf(gateway, 'greeter')).toEqual([greeter.id]);
    expect(await createClient(greeterSpec, gateway).greet('Max')).toBe('Hello, Max from greeter');
  });

  it('a served call knows the identity that made it, a call to itself its own', async () => {
    expect(await createClient(greeterSpec, gateway).whoCalls()).toBe('gateway');
    expect(await createClient(greeterSpec, greeter).whoCalls()).toBe('greeter');
  });

  it('refuses to publish a service the node\'s own certificate does not name, saying how to fix it', async () => {
    const wrong = node('billing', { tls: billing }).publish(greeterHandler('billing'));
    const err = await wrong.listen('127.0.0.1:0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshError);
    expect(err).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((err as Error).message).toContain('meshrpc certs issue billing --services');
  });

  it('a certificate that names more services lets its node publish them, and peers route to it', async () => {
    const api = node('api', { nodes: [gateway.address!], tls: await tlsFor('api', ['greeter']) }).publish(greeterHandler('api'));
    await api.listen('127.0.0.1:0');
    expect(await until(() => instancesOf(gateway, 'greeter').includes(api.id))).toBe(true);
    const replies = new Set<string>();
    const client = createClient(greeterSpec, gateway);
    for (let i = 0; i < 6; i++) replies.add(await client.greet('x'));
    expect(replies).toEqual(new Set(['Hello, x from greeter', 'Hello, x from api']));
    await api.close();
  });

  describe('an authorization policy', () => {
    let vault: Mesh;
    let opened = 0;

    beforeAll(async () => {
      vault = node('vault', { nodes: [gateway.address!], tls: await tlsFor('vault'), authorization: { vault: ['gateway'], 'vault.peek': ['*'] } });
      vault.publish(createHandler(vaultSpec, { open: async () => `opened ${++opened}`, peek: async () => 'peeked' }));
      await vault.listen('127.0.0.1:0');
      await gateway.waitFor('vault', 5000);
    });

    it('lets the named identity call, and refuses any other with PERMISSION_DENIED before the handler runs', async () => {
      expect(await createClient(vaultSpec, gateway).open()).toBe('opened 1');
      const outsider = node('billing', { nodes: [vault.address!], tls: billing });
      await outsider.listen();
      await outsider.waitFor('vault', 5000);
      const err = await createClient(vaultSpec, outsider).open().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PERMISSION_DENIED', message: 'spiffe://mesh.test/billing may not call vault.open' });
      expect(opened).toBe(1);
      // A method's own rule wins over its service's.
      expect(await createClient(vaultSpec, outsider).peek()).toBe('peeked');
    });
  });
});

describe('gossip on a plaintext mesh', () => {
  it('a forged entry about a live instance changes nothing there either', async () => {
    const greeter = node('greeter').publish(greeterHandler('greeter'));
    await greeter.listen('127.0.0.1:0');
    const caller = node('caller', { nodes: [greeter.address!] });
    await caller.listen('127.0.0.1:0');
    await caller.waitFor('greeter', 5000);
    const rogue = rawPeer(await plainSocket(caller.address!), { id: 'rogue', name: 'rogue', version: 1, services: [] });
    await rogue.sync();
    rogue.send(FrameType.GOSSIP, { members: [{ id: greeter.id, name: 'greeter', addr: greeter.address, tags: [], services: [], version: 1e9 }] });
    await rogue.sync();
    expect(instancesOf(caller, 'greeter')).toEqual([greeter.id]);
    expect(await createClient(greeterSpec, caller).greet('Max')).toBe('Hello, Max from greeter');
  });
});

describe('authorization without identities', () => {
  it('refuses a call whose caller proved no identity with UNAUTHENTICATED', async () => {
    const local = new LocalCaller().use({ server: [authorize({ vault: ['gateway'] })] });
    local.dispatcher.register({ namespace: 'default', name: 'vault', methods: ['open', 'peek'] }, createHandler(vaultSpec, { open: async () => 'x', peek: async () => 'y' }).endpoint);
    await expect(createClient(vaultSpec, local).peek()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a mesh node with a policy and no TLS refuses to start', async () => {
    const open = node('vault', { authorization: { vault: ['gateway'] } });
    await expect(open.listen('127.0.0.1:0')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('needs mutual TLS') });
  });

  it('checks a policy\'s shape when it is set, from code or MESHRPC_AUTHORIZATION (JSON or a file)', async () => {
    expect(() => parsePolicy({ 'bad key': ['x'] })).toThrow(/is not <service>/);
    expect(() => parsePolicy({ vault: 'gateway' })).toThrow(/must list identity names/);
    expect(() => policyFromEnv('{"vault": [1]}')).toThrow(/must list identity names/);
    expect(() => policyFromEnv('{not json')).toThrow(/not valid JSON/);
    expect(policyFromEnv('{"vault":["gateway"]}')).toEqual({ vault: ['gateway'] });
    const file = path.join(dir, 'policy.json');
    await writeFile(file, '{"greeter":["gateway","billing"]}');
    expect(policyFromEnv(file)).toEqual({ greeter: ['gateway', 'billing'] });
    expect(() => policyFromEnv(path.join(dir, 'missing.json'))).toThrow(/cannot be read/);
    expect(policyFromEnv(undefined)).toBeUndefined();
  });
});
