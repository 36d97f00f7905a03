/**
 * Bad input never crashes or hangs a node: unknown names get clear codes, handler errors keep
 * their type, malformed bytes close only the offending connection, oversized messages fail
 * only their call, and an expired deadline fails the call and fires the handler's signal.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, Mesh, MeshError } from '../../src/index.js';
import { probeSpec } from '../fixtures/mesh/probe.js';
import { killAll, sleep, startProbe, type Started } from '../helpers/procs.js';

function rawSocket(addr: string): Promise<Socket> {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
}

function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.on('data', () => {}); // drain the node's HELLO
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('bad input', () => {
  let node: Started;
  let caller: Mesh;
  const probe = () => createClient(probeSpec, caller);

  beforeAll(async () => {
    node = await startProbe({ PROBE_ID: 'p' });
    caller = new Mesh({ name: 'caller', nodes: [node.ready[0]] });
    await caller.listen();
    await caller.waitFor('probe', 10_000);
  });

  afterAll(async () => {
    await caller?.close();
    await killAll();
  });

  it('unknown service: NOT_FOUND', async () => {
    const err = await caller.call({ service: 'nope', method: 'x' }, Buffer.from('{}')).catch((e) => e);
    expect(err).toBeInstanceOf(MeshError);
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('nope');
  });

  it('unknown method: UNIMPLEMENTED', async () => {
    const err = await caller.call({ service: 'probe', method: 'nope' }, Buffer.from('{}')).catch((e) => e);
    expect(err.code).toBe('UNIMPLEMENTED');
    expect(err.message).toContain('nope');
  });

  it('a handler that throws reaches the caller with code, message and error name', async () => {
    await expect(probe().boom('type')).rejects.toMatchObject({
      code: 'UNKNOWN',
      message: 'cannot read properties of undefined',
      remoteName: 'TypeError',
    });
    await expect(probe().boom('refuse')).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: 'the probe refuses',
      details: { kind: 'refuse' },
    });
  });

  it('a payload that is not valid JSON: INVALID_ARGUMENT', async () => {
    const err = await caller.call({ service: 'probe', method: 'echo' }, Buffer.from('{not json')).catch((e) => e);
    expect(err.code).toBe('INVALID_ARGUMENT');
  });

  it('garbage bytes close only that connection', async () => {
    const s = await rawSocket(node.ready[0]);
    const closed = closedWithin(s, 3000);
    s.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(await closed).toBe(true);
    expect(await probe().echo('still here')).toBe('still here');
  });

  it('an absurd length prefix closes only that connection, without allocating it', async () => {
    const s = await rawSocket(node.ready[0]);
    const closed = closedWithin(s, 3000);
    const frame = Buffer.alloc(10);
    frame.writeUInt32BE(0xfffffff0, 0);
    frame[4] = 1;
    s.write(frame);
    expect(await closed).toBe(true);
    expect(await probe().echo('still here')).toBe('still here');
  });

  it('a valid HELLO followed by a frame of unknown type closes the connection', async () => {
    const s = await rawSocket(node.ready[0]);
    const closed = closedWithin(s, 3000);
    const hello = Buffer.from(JSON.stringify({ protocol: 1, id: 'raw', name: 'raw', addr: null, port: null, tags: [], services: [], version: 0, maxFrame: 1024 }));
    const head = Buffer.alloc(10);
    head.writeUInt32BE(6 + hello.length, 0);
    head[4] = 1;
    const bad = Buffer.alloc(10);
    bad.writeUInt32BE(6, 0);
    bad[4] = 200;
    s.write(Buffer.concat([head, hello, bad]));
    expect(await closed).toBe(true);
    expect(await probe().echo('ok')).toBe('ok');
  });

  it('malformed gossip about another node is ignored: the node still accepts new peers', async () => {
    const s = await rawSocket(node.ready[0]);
    s.on('data', () => {});
    const frame = (type: number, body: Buffer) => {
      const head = Buffer.alloc(10);
      head.writeUInt32BE(6 + body.length, 0);
      head[4] = type;
      return Buffer.concat([head, body]);
    };
    const hello = Buffer.from(JSON.stringify({ protocol: 1, id: 'raw-gossip', name: 'raw', addr: null, port: null, tags: [], services: [], version: 0, maxFrame: 1024 }));
    // A newer "version" of the caller with a services list that is not a list.
    const gossip = Buffer.from(JSON.stringify({ members: [{ id: caller.id, name: 'caller', addr: null, tags: [], services: null, version: 1e9 }] }));
    s.write(Buffer.concat([frame(1, hello), frame(8, gossip)]));
    await sleep(200);
    s.destroy();
    const late = new Mesh({ name: 'late', nodes: [node.ready[0]] });
    try {
      await late.listen();
      await late.waitFor('probe', 3000);
      expect(await createClient(probeSpec, late).echo('joined')).toBe('joined');
    } finally {
      await late.close();
    }
  });

  it('an oversized request fails with RESOURCE_EXHAUSTED and the connection stays usable', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    await expect(probe().echo(big)).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(await probe().echo('small')).toBe('small');
  });

  it('an oversized reply fails with RESOURCE_EXHAUSTED and the connection stays usable', async () => {
    await expect(probe().big(5 * 1024 * 1024)).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(await probe().big(1000)).toHaveLength(1000);
  });

  it('an expired deadline gives DEADLINE_EXCEEDED and fires the handler abort signal', async () => {
    const started = Date.now();
    await expect(probe().with({ timeout: 200 }).slow(1500)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - started).toBeLessThan(1000);
    await sleep(100);
    expect(await probe().abortSeen()).toBe(true);
  });

  it('a caller abort signal cancels the call with CANCELLED', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(probe().with({ signal: controller.signal }).slow(1500)).rejects.toMatchObject({ code: 'CANCELLED' });
    await sleep(100);
    expect(await probe().abortSeen()).toBe(true);
  });
});
