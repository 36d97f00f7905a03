/**
 * A nats-server restart during calls: on a private nats-server (the shared one on 4222 is never
 * touched), a NatsMesh server node and a caller node keep calling while the server is killed
 * (SIGKILL, by pid) and started again on the same port. Calls during the outage fail with a
 * code (never hang past their deadline); once both clients have reconnected, calls succeed.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { MeshError } from 'meshrpc';
import { NatsMesh } from '../../src/transports/index.js';
import { greeterClient, greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';
import { NATS_URL, broker } from '../helpers/brokers.js';
import { NATS_SERVER_BIN, PrivateNats } from '../fixtures/transports/nats-server.js';
import { existsSync } from 'node:fs';

// The shared server's reachability stands for "brokers available"; the binary must exist too.
const natsUp = (await broker('NATS', NATS_URL)) && existsSync(NATS_SERVER_BIN);

async function reconnected(node: NatsMesh, timeoutMs: number): Promise<void> {
  const nc = node.connection!;
  const until = Date.now() + timeoutMs;
  // A round trip through the server proves this connection is live again.
  while (Date.now() < until) {
    try {
      await Promise.race([nc.flush(), new Promise((_, rej) => setTimeout(() => rej(new Error('flush timeout')), 300))]);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('did not reconnect');
}

describe.skipIf(!natsUp)('NATS server restart', () => {
  let nats: PrivateNats | undefined;
  const nodes: NatsMesh[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await nats?.stop();
  });

  it('reconnects and calls after the restart succeed', async () => {
    nats = await PrivateNats.start();
    const prefix = `r${randomUUID().slice(0, 8)}`;
    const server = new NatsMesh({ name: 'greeter', servers: nats.url, prefix, announceInterval: 200, drainTimeout: 1000 }).publish(greeterHandler(new Greeter()));
    const caller = new NatsMesh({ name: 'caller', servers: nats.url, prefix, announceInterval: 200, drainTimeout: 1000 });
    nodes.push(server, caller);
    await server.listen();
    await caller.listen();
    await caller.waitFor('greeter', 3000);
    const greeter = greeterClient(caller).with({ timeout: 1000 });
    expect(await greeter.greet('before')).toBe('Hello, before');

    // Calls keep going through the outage; each ends (ok or coded error) within its deadline.
    let stop = false;
    const outcomes: string[] = [];
    const loop = (async () => {
      for (let i = 0; i < 200 && !stop; i++) {
        const t0 = Date.now();
        try {
          await greeter.greet(`n${i}`);
          outcomes.push('ok');
        } catch (err) {
          expect(err).toBeInstanceOf(MeshError);
          expect(Date.now() - t0).toBeLessThan(1500);
          outcomes.push((err as MeshError).code);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    await nats.stop();
    await new Promise((r) => setTimeout(r, 500));
    await nats.start();
    await Promise.all([reconnected(server, 10_000), reconnected(caller, 10_000)]);
    for (let i = 0; i < 5; i++) expect(await greeter.greet(`after${i}`)).toBe(`Hello, after${i}`);
    stop = true;
    await loop;
    expect(outcomes).toContain('ok');
    expect(outcomes.every((o) => ['ok', 'DEADLINE_EXCEEDED', 'UNAVAILABLE'].includes(o))).toBe(true);
  });
});
