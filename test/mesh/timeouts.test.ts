/**
 * Small bounds: a per-call timeout above setTimeout's limit (2^31-1 ms) is clamped rather than
 * firing at once, on a remote instance (both the caller's timer and the handler's signal) and on
 * the node's own instance; and a node with many dead seeds keeps a bounded number of dials going.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, createHandler, Mesh } from '../../src/index.js';
import { probeSpec, type Probe } from '../fixtures/mesh/probe.js';
import { killAll, sleep, startProbe } from '../helpers/procs.js';

const HUGE = 2 ** 31 + 60_000; // about 24.9 days

describe('timeouts and dial bounds', () => {
  const meshes: Mesh[] = [];
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await killAll();
  });

  it('a timeout above 2^31-1 ms is clamped: remote and local calls succeed and the handler signal stays quiet', async () => {
    const node = await startProbe({ PROBE_ID: 'remote' });
    const caller = new Mesh({ name: 'caller', nodes: [node.ready[0]] });
    meshes.push(caller);
    await caller.listen();
    await caller.waitFor('probe', HUGE);
    const probe = createClient(probeSpec, caller).with({ timeout: HUGE });
    expect(await probe.slow(200)).toBe('remote');
    expect(await probe.abortSeen()).toBe(false);

    const impl: Probe = {
      whoami: async () => 'local',
      slow: async (ms) => new Promise((r) => setTimeout(() => r('local'), ms)),
      boom: async () => {},
      abortSeen: async () => false,
      echo: async (d) => d,
      big: async (n) => 'x'.repeat(n),
    };
    const alone = new Mesh({ name: 'alone', nodes: [] }).publish(createHandler(probeSpec, impl));
    meshes.push(alone);
    await alone.listen();
    expect(await createClient(probeSpec, alone).with({ timeout: HUGE }).slow(200)).toBe('local');
    expect(await createClient(probeSpec, alone).with({ deadline: Date.now() + HUGE }).whoami()).toBe('local');
  });

  it('100 seeds that accept and never answer: at most 32 dials at once, every seed still tried', async () => {
    let open = 0;
    let peak = 0;
    const tried = new Set<number>();
    const held: Socket[] = [];
    const ports: number[] = [];
    for (let i = 0; i < 100; i++) {
      const server = createServer((s) => {
        open++;
        peak = Math.max(peak, open);
        tried.add(i);
        held.push(s);
        s.on('error', () => {});
        s.resume(); // read, so the dialer's close is seen
        s.once('close', () => open--);
      });
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      ports.push((server.address() as { port: number }).port);
    }
    const node = new Mesh({
      name: 'dialer',
      nodes: ports.map((p) => `127.0.0.1:${p}`),
      connectTimeout: 300,
      logger: pino({ level: 'silent' }),
    });
    meshes.push(node);
    await node.listen();
    for (let i = 0; i < 60 && tried.size < 100; i++) await sleep(100);
    await node.close();
    for (const s of held) s.destroy();
    expect(tried.size, 'every seed was dialed').toBe(100);
    // Counted on the accepting side, which sees a dial end a moment after the dialer does (its
    // close is in transit), so a few more than 32 may overlap there; without the bound all 100 do.
    expect(peak, 'dials in progress at once').toBeLessThanOrEqual(32 + 8);
  });
});
