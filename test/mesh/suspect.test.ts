/**
 * Fast detection of a silent peer: three probe instances in their own processes, one frozen
 * with SIGSTOP while a caller in this process keeps calling. The frozen instance's link turns
 * suspect within a fraction of a second (calls outstanding, nothing heard), so new calls go to
 * the others; only the calls already on it wait, for the heartbeat timeout, and fail.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createClient, Mesh, MeshError, type Client, type MeshOptions } from '../../src/index.js';
import { probeSpec, type Probe } from '../fixtures/mesh/probe.js';
import { FrameDecoder } from '../../src/mesh/wire/decoder.js';
import { encodeFrame, FrameType } from '../../src/mesh/wire/frame.js';
import { instancesOf } from '../helpers/cluster.js';
import { helloFrame } from '../helpers/raw.js';
import { killAll, sleep, startProbe, type Started } from '../helpers/procs.js';

interface Outcome {
  start: number;
  end: number;
  ok: boolean;
  code?: string;
  who?: string;
}

describe('suspect links', () => {
  let caller: Mesh | undefined;
  afterEach(async () => {
    await caller?.close();
    caller = undefined;
    await killAll();
  });
  afterAll(killAll);

  async function threeProbes(options: Partial<MeshOptions> = {}): Promise<{ procs: Started[]; probe: Client<Probe> }> {
    const a = await startProbe({ PROBE_ID: 'a' });
    const [b, c] = await Promise.all(['b', 'c'].map((id) => startProbe({ PROBE_ID: id, MESHRPC_CLUSTER_NODES: a.ready[0] })));
    caller = new Mesh({ name: 'caller', nodes: [a, b, c].map((p) => p.ready[0]), ...options });
    await caller.listen();
    await caller.waitFor('probe', 10_000);
    for (let i = 0; i < 200 && instancesOf(caller, 'probe').length < 3; i++) await sleep(25);
    expect(instancesOf(caller, 'probe')).toHaveLength(3);
    return { procs: [a, b, c], probe: createClient(probeSpec, caller).with({ timeout: 10_000 }) };
  }

  async function timed(probe: Client<Probe>, out: Outcome[]): Promise<void> {
    const o: Outcome = { start: Date.now(), end: 0, ok: false };
    out.push(o);
    try {
      o.who = await probe.whoami();
      o.ok = true;
    } catch (err) {
      o.code = err instanceof MeshError ? err.code : String(err);
    }
    o.end = Date.now();
  }

  it('open loop under round robin: calls started 500 ms after the freeze all succeed in < 500 ms; only calls sent before that fail', async () => {
    const { procs, probe } = await threeProbes();
    const c = procs[2];
    const out: Outcome[] = [];
    const running: Promise<void>[] = [];
    const started = Date.now();
    let frozenAt = 0;
    // 250 calls/s for 4.5 s; the third instance is frozen after 1 s.
    const ticker = setInterval(() => {
      const t = Date.now() - started;
      if (t >= 4500) return;
      if (frozenAt === 0 && t >= 1000) {
        c.proc.kill('SIGSTOP');
        frozenAt = Date.now();
      }
      running.push(timed(probe, out));
    }, 4);
    try {
      await sleep(4600);
      clearInterval(ticker);
      await Promise.all(running);
    } finally {
      clearInterval(ticker);
      c.proc.kill('SIGCONT');
    }
    const later = out.filter((o) => o.start >= frozenAt + 500);
    const window = out.filter((o) => o.start >= frozenAt && o.start < frozenAt + 500);
    const failed = out.filter((o) => !o.ok);
    const worst = Math.max(...later.map((o) => o.end - o.start));
    console.log(`open loop: ${out.length} calls, ${failed.length} failed (${window.length} started within 500 ms of the freeze); slowest later call ${worst} ms`);
    expect(later.length).toBeGreaterThan(200);
    expect(later.filter((o) => !o.ok), 'calls started after detection all succeed').toHaveLength(0);
    expect(worst, 'no later call stalls').toBeLessThan(500);
    expect(failed.length).toBeLessThanOrEqual(window.length);
    for (const f of failed) {
      expect(f.code).toBe('UNAVAILABLE');
      expect(f.start).toBeGreaterThanOrEqual(frozenAt - 50); // only calls that were sent to the frozen one
    }
    expect(new Set(later.map((o) => o.who))).toEqual(new Set(['a', 'b']));
  });

  it('closed loop, 64 in flight, least-loaded: a frozen instance stalls the caller < 500 ms; failures ≤ the calls that were on it', async () => {
    const { procs, probe } = await threeProbes({ strategy: 'least-loaded' });
    const c = procs[2];
    const out: Outcome[] = [];
    const started = Date.now();
    const until = started + 5000;
    let frozenAt = 0;
    const freeze = sleep(1000).then(() => {
      c.proc.kill('SIGSTOP');
      frozenAt = Date.now();
    });
    const worker = async () => {
      for (let i = 0; i < 100_000 && Date.now() < until; i++) await timed(probe, out);
    };
    try {
      await Promise.all([freeze, ...Array.from({ length: 64 }, worker)]);
    } finally {
      c.proc.kill('SIGCONT');
    }
    const done = out.filter((o) => o.ok && o.end >= frozenAt - 100).map((o) => o.end).sort((x, y) => x - y);
    let stall = done.length > 0 ? done[0] - frozenAt : Infinity;
    for (let i = 1; i < done.length; i++) stall = Math.max(stall, done[i] - done[i - 1]);
    const failed = out.filter((o) => !o.ok);
    const onFrozen = out.filter((o) => o.start <= frozenAt + 500 && (!o.ok || o.end - o.start > 2000));
    console.log(`closed loop: ${out.length} calls, ${failed.length} failed, longest stall ${stall} ms after the freeze`);
    expect(stall, 'longest time without a completed call after the freeze').toBeLessThan(500);
    expect(failed.length).toBeLessThanOrEqual(64);
    expect(failed.length).toBeLessThanOrEqual(onFrozen.length);
    for (const f of failed) expect(f.code).toBe('UNAVAILABLE');
    expect(out.filter((o) => o.ok && o.start > frozenAt + 500).length).toBeGreaterThan(1000);
  });

  it('a suspect link that answers again takes calls again: a 400 ms freeze loses nothing and keeps the link', async () => {
    const { procs, probe } = await threeProbes();
    const c = procs[2];
    const out: Outcome[] = [];
    const worker = async (until: number) => {
      for (let i = 0; i < 100_000 && Date.now() < until; i++) await timed(probe, out);
    };
    const runFor = (ms: number) => Promise.all(Array.from({ length: 8 }, () => worker(Date.now() + ms)));
    const warm = runFor(500);
    await sleep(200);
    c.proc.kill('SIGSTOP');
    try {
      await sleep(400);
    } finally {
      c.proc.kill('SIGCONT');
    }
    await warm;
    const resumedAt = Date.now();
    await runFor(1000);
    expect(out.filter((o) => !o.ok)).toHaveLength(0);
    expect(instancesOf(caller!, 'probe')).toHaveLength(3);
    expect(out.filter((o) => o.start > resumedAt + 300 && o.who === 'c').length).toBeGreaterThan(10);
  });

  it('the suspicion time adapts to the link: with a 100 ms ping round trip, the suspect PING comes ~400 ms after a call, not 150 ms', async () => {
    // A hand-written peer that claims to serve "probe", answers PING after 100 ms and never answers calls.
    const pings: number[] = [];
    const requests: number[] = [];
    const server: Server = createServer((s) => {
      const decoder = new FrameDecoder(4 * 1024 * 1024);
      s.on('error', () => {});
      s.on('data', (chunk) => {
        for (const f of decoder.push(chunk)) {
          if (f.type === FrameType.HELLO) s.write(helloFrame('slow-pong', ['probe']));
          if (f.type === FrameType.REQUEST) requests.push(Date.now());
          if (f.type === FrameType.PING) {
            pings.push(Date.now());
            setTimeout(() => s.destroyed || s.write(encodeFrame(FrameType.PONG, 0, 0)), 100);
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      caller = new Mesh({ name: 'caller', nodes: [`127.0.0.1:${port}`], heartbeatInterval: 1000, heartbeatTimeout: 3000, drainTimeout: 300 });
      await caller.listen();
      await caller.waitFor('probe', 5000);
      for (let i = 0; i < 60 && pings.length === 0; i++) await sleep(50); // the first idle PING: one round-trip sample
      await sleep(200); // its PONG is back
      const call = createClient(probeSpec, caller).with({ timeout: 2500 }).whoami().catch((e: unknown) => e);
      // Until ~1.7 s after the call no idle PING is due (the last PONG was ~200 ms before it), so
      // a PING in this window is the suspect one.
      await sleep(1500);
      const sentAt = requests[0];
      const suspectPing = pings.find((t) => t > sentAt && t < sentAt + 1500);
      expect(sentAt).toBeDefined();
      expect(suspectPing, 'a PING follows the unanswered call').toBeDefined();
      const after = suspectPing! - sentAt;
      console.log(`suspect PING ${after} ms after the call (ping round trip ~100 ms)`);
      expect(after, 'at least 3 round trips of 100 ms').toBeGreaterThanOrEqual(300);
      expect(after).toBeLessThan(1500);
      expect(await call).toBeInstanceOf(MeshError);
    } finally {
      await caller?.close();
      caller = undefined;
      await new Promise((r) => server.close(r));
    }
  });
});
