/**
 * NATS as the mesh: discovery, waitFor, queue-group balancing, sticky keys, deadlines, expiry of
 * dead nodes, graceful close, the MESHRPC_TRANSPORT switch, and the container's MeshServer on
 * both engines.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Mesh, createClient, createHandler, defineService, type MeshNode } from 'meshrpc';
import { NatsMesh, createMesh, parseTransport } from '../../src/transports/index.js';
import { MeshServer, Microservice } from '../../src/microservice/index.js';
import { greeterClient, greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';
import { NATS_URL, broker } from '../helpers/brokers.js';

const natsUp = await broker('NATS', NATS_URL);

interface Who {
  whoami(): Promise<string>;
  sleep(ms: number): Promise<number>;
}
const whoSpec = defineService<Who>('who', { whoami: [], sleep: ['ms'] });
const who = (id: string) =>
  createHandler(whoSpec, { whoami: async () => id, sleep: (ms: number) => new Promise<number>((r) => setTimeout(() => r(ms), ms)) });

describe('MESHRPC_TRANSPORT', () => {
  it('parses mesh and nats URLs and rejects anything else', () => {
    expect(parseTransport(undefined)).toEqual({ kind: 'mesh' });
    expect(parseTransport('mesh')).toEqual({ kind: 'mesh' });
    expect(parseTransport('nats://127.0.0.1:4222')).toEqual({ kind: 'nats', servers: ['nats://127.0.0.1:4222'] });
    expect(parseTransport('nats://a:1,nats://b:2')).toEqual({ kind: 'nats', servers: ['nats://a:1', 'nats://b:2'] });
    expect(() => parseTransport('tcp://x')).toThrow('MESHRPC_TRANSPORT');
  });

  it('createMesh picks the engine from the environment', async () => {
    expect(await createMesh({ name: 'a' }, { MESHRPC_TRANSPORT: 'nats://127.0.0.1:4222' })).toBeInstanceOf(NatsMesh);
    expect(await createMesh({ name: 'a' }, {})).toBeInstanceOf(Mesh);
  });
});

describe.skipIf(!natsUp)('NatsMesh', () => {
  const nodes: MeshNode[] = [];
  const node = (name: string, prefix: string) => {
    const n = new NatsMesh({ name, servers: NATS_URL, prefix, announceInterval: 200, drainTimeout: 3000 });
    nodes.push(n);
    return n;
  };
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
  });
  const freshPrefix = () => `t${randomUUID().slice(0, 8)}`;

  it('discovers services, waits for them, balances and sticks', async () => {
    const p = freshPrefix();
    const a = node('a', p).publish(who('a'));
    const b = node('b', p).publish(who('b'));
    const caller = node('caller', p);
    await Promise.all([a.listen(), b.listen(), caller.listen()]);
    await caller.waitFor(['who'], 3000);
    await expect.poll(() => caller.services().find((s) => s.name === 'who')?.instances.length, { timeout: 3000 }).toBe(2);
    const client = createClient(whoSpec, caller);
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) seen.add(await client.whoami());
    expect(seen).toEqual(new Set(['a', 'b']));
    const sticky = client.with({ stickyKey: 'user-42' });
    const first = await sticky.whoami();
    for (let i = 0; i < 10; i++) expect(await sticky.whoami()).toBe(first);
  });

  it('waitFor times out with DEADLINE_EXCEEDED naming what is missing', async () => {
    const caller = node('caller', freshPrefix());
    await caller.listen();
    await expect(caller.waitFor(['ghost'], 300)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', message: expect.stringContaining('ghost') });
  });

  it('unknown services are NOT_FOUND; deadlines hold', async () => {
    const p = freshPrefix();
    const a = node('a', p).publish(who('a'));
    const caller = node('caller', p);
    await Promise.all([a.listen(), caller.listen()]);
    await caller.waitFor('who', 3000);
    await expect(caller.call({ service: 'ghost', method: 'x' }, new Uint8Array(), { timeout: 2000 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const t0 = Date.now();
    await expect(createClient(whoSpec, caller).with({ timeout: 100 }).sleep(2000)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - t0).toBeLessThan(600);
  });

  it('a closed node vanishes at once; a dead one expires', async () => {
    const p = freshPrefix();
    const a = node('a', p).publish(who('a'));
    const b = node('b', p).publish(who('b'));
    const caller = node('caller', p);
    await Promise.all([a.listen(), b.listen(), caller.listen()]);
    await expect.poll(() => caller.services().find((s) => s.name === 'who')?.instances.length, { timeout: 3000 }).toBe(2);
    await a.close();
    await expect.poll(() => caller.services().find((s) => s.name === 'who')?.instances, { timeout: 150, interval: 10 }).toEqual([b.id]);
    // b dies without a goodbye: its connection is cut; it expires after 3.5 announce intervals.
    await (b as NatsMesh).connection!.close();
    await expect.poll(() => caller.services().find((s) => s.name === 'who'), { timeout: 2000, interval: 50 }).toBeUndefined();
  });

  it('close() drains calls in flight before leaving', async () => {
    const p = freshPrefix();
    const a = node('a', p).publish(who('a'));
    const caller = node('caller', p);
    await Promise.all([a.listen(), caller.listen()]);
    await caller.waitFor('who', 3000);
    const client = createClient(whoSpec, caller);
    const early = Array.from({ length: 10 }, (_, i) => client.sleep(100 + 10 * i));
    await new Promise((r) => setTimeout(r, 30));
    // More requests reach the server, which passes them to a's socket; a's process is busy and has
    // not read them yet when close() begins: those must be served too, not dropped (a dropped one
    // would wait out its whole deadline).
    const late = Array.from({ length: 10 }, (_, i) => client.sleep(50 + i));
    await (caller as NatsMesh).connection!.flush();
    const busyUntil = Date.now() + 50;
    while (Date.now() < busyUntil);
    const closing = a.close();
    const results = await Promise.allSettled([...early, ...late]);
    await closing;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  });

  it('the container serves over NatsMesh and the built-in Mesh through MeshServer', async () => {
    const p = freshPrefix();
    const natsNode = new NatsMesh({ name: 'greeter', servers: NATS_URL, prefix: p, announceInterval: 200 });
    const tcpNode = new Mesh({ name: 'greeter', nodes: [] });
    const ms = new Microservice({ stopTimeoutMs: 2000 })
      .registerServer('nats-mesh', new MeshServer(natsNode))
      .registerServer('mesh', new MeshServer(tcpNode, '127.0.0.1:0'));
    ms.publish(greeterHandler(new Greeter()));
    expect(() => ms.registerService('nope', 'x', () => new Uint8Array())).toThrow('namespace "nope" is not registered');
    await ms.start();
    try {
      const caller = node('caller', p);
      await caller.listen();
      await caller.waitFor('greeter', 3000);
      expect(await greeterClient(caller).greet('Max')).toBe('Hello, Max');
      const tcpCaller = new Mesh({ name: 'caller', nodes: [tcpNode.address!] });
      await tcpCaller.listen();
      try {
        await tcpCaller.waitFor('greeter', 5000);
        expect(await greeterClient(tcpCaller).greet('Max')).toBe('Hello, Max');
      } finally {
        await tcpCaller.close();
      }
    } finally {
      await ms.stop();
    }
  });
});
