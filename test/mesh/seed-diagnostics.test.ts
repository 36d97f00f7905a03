/**
 * Day-one diagnostics of seeds: a seed that cannot be reached is one warning with its address and
 * the reason (not one per retry), again only when the reason changes or after the warn interval,
 * an info line once it is reached; and a waitFor timeout names the seeds it could not reach.
 * Real sockets on loopback: a closed port (ECONNREFUSED) and a TCP server that never speaks the
 * protocol (no handshake).
 */
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Mesh, MeshError } from '../../src/index.js';
import { Dialer, type DialOutcome } from '../../src/mesh/dialer.js';

interface LogLine {
  level: number;
  msg: string;
  seed?: string;
  addr?: string;
  reason?: string;
}
const WARN = 40;
const INFO = 30;

/** A pino logger that keeps every line it writes. */
function capturingLogger() {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines, warnings: () => lines.filter((l) => l.level === WARN) };
}

/** A port nothing listens on (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('seed diagnostics', () => {
  const meshes: Mesh[] = [];
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(meshes.splice(0).map((m) => m.close()));
    for (const s of servers.splice(0)) s.close();
  });

  it('warns once with the address and ECONNREFUSED while retrying, and says when the seed is reached', async () => {
    const port = await closedPort();
    const seed = `127.0.0.1:${port}`;
    const { logger, lines, warnings } = capturingLogger();
    const node = new Mesh({ name: 'early', nodes: [seed], logger });
    meshes.push(node);
    await node.listen();
    // Backoff starts at 100 ms: several attempts fail within this time, one warning is logged.
    await sleep(1500);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ seed, reason: 'ECONNREFUSED' });
    expect(warnings()[0].msg).toContain(`cannot reach seed ${seed}: ECONNREFUSED`);

    const late = new Mesh({ name: 'late' });
    meshes.push(late);
    await late.listen(seed);
    await expect.poll(() => node.members().length, { timeout: 8000 }).toBe(2);
    await expect.poll(() => lines.some((l) => l.level === INFO && l.msg.startsWith(`reached seed ${seed} after`)), { timeout: 2000 }).toBe(true);
    expect(warnings()).toHaveLength(1);
  });

  it('names a peer that accepts TCP but never completes the handshake', async () => {
    const silent = createServer(() => {}).listen(0, '127.0.0.1');
    servers.push(silent);
    await new Promise((r) => silent.once('listening', r));
    const seed = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    const { logger, warnings } = capturingLogger();
    const node = new Mesh({ name: 'caller', nodes: [seed], logger, connectTimeout: 200 });
    meshes.push(node);
    await node.listen();
    await expect.poll(() => warnings().length, { timeout: 3000 }).toBe(1);
    expect(warnings()[0]).toMatchObject({ seed, reason: 'connected, but no handshake within 200 ms' });
  });

  it('a waitFor timeout names the seeds it could not reach and why', async () => {
    const port = await closedPort();
    const seed = `127.0.0.1:${port}`;
    const node = new Mesh({ name: 'caller', nodes: [seed], logger: capturingLogger().logger });
    meshes.push(node);
    await node.listen();
    const err = await node.waitFor('greeter', 400).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MeshError);
    expect(err).toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      message: `services not available after 400 ms: greeter; seeds not reached: ${seed}: ECONNREFUSED`,
      details: { missing: ['greeter'], unreachable: [{ seed, addr: seed, reason: 'ECONNREFUSED' }] },
    });
  });

  it('a waitFor timeout on a node with no seeds and no peers says so', async () => {
    const node = new Mesh({ name: 'alone', nodes: [], logger: capturingLogger().logger });
    meshes.push(node);
    await node.listen();
    await expect(node.waitFor('greeter', 200)).rejects.toThrow(
      'services not available after 200 ms: greeter; this node has no seeds (MESHRPC_CLUSTER_NODES or the nodes option) and no peer has joined it',
    );
  });

  it('warns again about a seed still failing only after the warn interval, or when the reason changes', async () => {
    const logs: { level: string; msg: string }[] = [];
    let reason = 'ECONNREFUSED';
    let attempts = 0;
    const dialer = new Dialer({
      seeds: ['127.0.0.1:9'],
      resolveInterval: 60_000,
      backoffBase: 10,
      backoffMax: 20,
      forgetAfter: 8,
      warnInterval: 600,
      dial: async (): Promise<DialOutcome> => {
        attempts++;
        return { ok: false, reason };
      },
      isLinked: () => false,
      log: (level, msg) => void logs.push({ level, msg }),
    });
    await dialer.start();
    try {
      // The dialer ticks every 100 ms; with a tiny backoff every tick retries.
      await sleep(350);
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);
      reason = 'EHOSTUNREACH';
      await expect.poll(() => logs.filter((l) => l.level === 'warn').length, { timeout: 1000 }).toBe(2);
      expect(logs[1].msg).toMatch(/^still cannot reach seed 127\.0\.0\.1:9: EHOSTUNREACH \(\d+ attempts\)$/);
      await sleep(200);
      expect(logs.filter((l) => l.level === 'warn')).toHaveLength(2);
      await expect.poll(() => logs.filter((l) => l.level === 'warn').length, { timeout: 2000 }).toBe(3);
      expect(dialer.seedReport().unreachable).toEqual([{ seed: '127.0.0.1:9', addr: '127.0.0.1:9', reason: 'EHOSTUNREACH', failures: expect.any(Number) }]);
      expect(dialer.seedReport().unreachable[0].failures).toBeGreaterThan(8);
    } finally {
      dialer.stop();
    }
  });
});
