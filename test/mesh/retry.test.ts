/**
 * Retrying elsewhere is only safe when no handler ran. A handler that fails because its own
 * call to another service was "not processed" (no instance of that service) did run, so its
 * caller must not retry it on another instance, whether it ran remotely or in the caller's own
 * process. And a reply that does promise no handler ran is retried on another instance, within
 * the call. Mesh nodes in this process and a hand-written peer, linked over loopback.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler, defineService, Mesh, MeshError } from '../../src/index.js';
import { FrameDecoder } from '../../src/mesh/wire/decoder.js';
import { encodeFrame, Flags, FrameType } from '../../src/mesh/wire/frame.js';
import { onRetry, type RetryEvent } from '../../src/observability/call-events.js';
import { nodeMetrics } from '../../src/observability/metrics.js';
import { instancesOf } from '../helpers/cluster.js';

interface Orders {
  place(item: string): Promise<string>;
}
const ordersSpec = defineService<Orders>('orders', { place: ['item'] });

/** An orders instance that records each order, then asks a ledger service nobody runs. */
function ordersOn(mesh: Mesh, placed: string[]) {
  return createHandler(ordersSpec, {
    async place(item: string) {
      placed.push(`${mesh.name}:${item}`);
      await mesh.call({ service: 'ledger', method: 'record' }, Buffer.from('{}'), { codec: 'json' });
      return 'recorded';
    },
  });
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!ok()) throw new Error(`timed out waiting until ${what}`);
}

describe('retries after a failure', () => {
  const placed: string[] = [];
  const meshes: Mesh[] = [];
  let caller: Mesh;

  beforeAll(async () => {
    const a = new Mesh({ name: 'a' });
    await a.listen('127.0.0.1:0');
    const b = new Mesh({ name: 'b', nodes: [a.address!] });
    a.publish(ordersOn(a, placed));
    b.publish(ordersOn(b, placed));
    await b.listen('127.0.0.1:0');
    // The caller runs an instance of its own too: the local path must not retry either.
    caller = new Mesh({ name: 'caller', nodes: [a.address!] });
    caller.publish(ordersOn(caller, placed));
    await caller.listen('127.0.0.1:0');
    meshes.push(a, b, caller);
    // A ledger instance that every node sees and then loses: calls to it then fail with
    // UNAVAILABLE, "not processed" (it was seen, and no instance is left).
    const ledger = new Mesh({ name: 'ledger', nodes: [a.address!] });
    ledger.publish(createHandler(defineService<{ record(): Promise<void> }>('ledger', { record: [] }), { async record() {} }));
    await ledger.listen('127.0.0.1:0');
    await until(() => meshes.every((m) => instancesOf(m, 'ledger').length === 1 && instancesOf(m, 'orders').length === 3), 'every node sees the ledger and three orders instances');
    await ledger.close();
    await until(() => meshes.every((m) => instancesOf(m, 'ledger').length === 0), 'every node lost the ledger');
  });

  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
  });

  it('does not run a handler again elsewhere when it failed on a nested call that was not processed', async () => {
    for (let i = 0; i < 6; i++) {
      const err = await caller
        .call({ service: 'orders', method: 'place' }, Buffer.from(JSON.stringify({ item: `o${i}` })), { codec: 'json' })
        .then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(MeshError);
      expect((err as MeshError).code).toBe('UNAVAILABLE');
      // The handler ran: the caller may not treat the failure as safe to retry either.
      expect((err as MeshError).notProcessed).toBe(false);
    }
    // Round robin over three instances: each order placed exactly once, somewhere.
    expect(placed.map((p) => p.split(':')[1]).sort()).toEqual(['o0', 'o1', 'o2', 'o3', 'o4', 'o5']);
    expect(new Set(placed.map((p) => p.split(':')[0]))).toEqual(new Set(['a', 'b', 'caller']));
  });
});

describe('retries of calls no handler took', () => {
  const served: string[] = [];
  let instance: Mesh;
  let caller: Mesh;
  let refused = 0;
  let closePeer: () => void = () => {};

  beforeAll(async () => {
    instance = new Mesh({ name: 'a' });
    instance.publish(createHandler(ordersSpec, { async place(item: string) { served.push(item); return 'placed'; } }));
    await instance.listen('127.0.0.1:0');
    caller = new Mesh({ name: 'caller', nodes: [instance.address!] });
    await caller.listen('127.0.0.1:0');
    // A peer that offers orders too, and answers every request: "not processed" (as a node
    // that is going away may), promising that no handler ran.
    const [host, port] = [caller.address!.split(':')[0], Number(caller.address!.split(':')[1])];
    const socket = connect({ host, port });
    const decoder = new FrameDecoder(1 << 20);
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        if (f.type === FrameType.PING) socket.write(encodeFrame(FrameType.PONG, 0, 0));
        if (f.type !== FrameType.REQUEST) continue;
        refused++;
        const body = { code: 'UNAVAILABLE', message: 'not taken here', notProcessed: true };
        socket.write(encodeFrame(FrameType.RESPONSE, Flags.ERROR, f.streamId, Buffer.from(JSON.stringify(body))));
      }
    });
    const hello = { protocol: 1, id: 'refuser', name: 'refuser', addr: null, port: null, tags: [], version: 1, maxFrame: 1 << 20,
      services: [{ namespace: 'default', name: 'orders', methods: ['place'] }] };
    socket.write(encodeFrame(FrameType.HELLO, 0, 0, Buffer.from(JSON.stringify(hello))));
    closePeer = () => socket.destroy();
    await until(() => instancesOf(caller, 'orders').length === 2, 'the caller sees both orders instances');
  });

  afterAll(async () => {
    closePeer();
    await Promise.all([caller.close(), instance.close()]);
  });

  it('retries a call the other instance did not take, and it succeeds where a handler ran', async () => {
    const events: RetryEvent[] = [];
    const off = onRetry((e) => events.push(e));
    for (let i = 0; i < 6; i++) {
      const reply = await caller.call({ service: 'orders', method: 'place' }, Buffer.from(JSON.stringify({ item: `p${i}` })), { codec: 'json' });
      expect(JSON.parse(Buffer.from(reply).toString())).toBe('placed');
    }
    expect(refused).toBeGreaterThan(0); // round robin sent some calls to the refusing peer first
    expect(served).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    // Each retry is published (tracing makes it a span event, metrics count it).
    off();
    expect(events).toHaveLength(refused);
    expect(events[0]).toMatchObject({ nodeId: caller.id, kind: 'failover', attempt: 1, instance: 'refuser', target: { service: 'orders', method: 'place' } });
    expect(nodeMetrics(caller).retries.get('orders\0place\0failover')?.value).toBe(refused);
  });
});
