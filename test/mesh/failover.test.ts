/**
 * Instances dying and stopping while calls run: a kill -9 fails only the calls in flight on
 * the dead link, at once; a graceful stop fails none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, Mesh, MeshError } from '../../src/index.js';
import { probeSpec } from '../fixtures/mesh/probe.js';
import { twoProbes } from '../helpers/cluster.js';
import { killAll } from '../helpers/procs.js';

interface Outcome {
  start: number;
  end: number;
  who?: string;
  code?: string;
}

/** `workers` loops of calls for `ms` milliseconds (and at most 5000 calls each), recording each outcome. */
async function callContinuously(caller: Mesh, ms: number, workers: number, work: (p: ReturnType<typeof createClient<import('../fixtures/mesh/probe.js').Probe>>) => Promise<string>): Promise<Outcome[]> {
  const probe = createClient(probeSpec, caller).with({ timeout: 5000 });
  const outcomes: Outcome[] = [];
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = 0; i < 5000 && Date.now() < until; i++) {
        const o: Outcome = { start: Date.now(), end: 0 };
        try {
          o.who = await work(probe);
        } catch (err) {
          o.code = err instanceof MeshError ? err.code : String(err);
        }
        o.end = Date.now();
        outcomes.push(o);
      }
    }),
  );
  return outcomes;
}

describe('failover', () => {
  let caller: Mesh | undefined;
  afterEach(async () => {
    await caller?.close();
    await killAll();
  });

  it('kill -9 of one instance: no call hangs, later calls all succeed on the other', async () => {
    const setup = await twoProbes();
    caller = setup.caller;
    let killedAt = 0;
    const running = callContinuously(caller, 2500, 4, (p) => p.slow(5));
    setTimeout(() => {
      killedAt = Date.now();
      void setup.a.kill();
    }, 600);
    const outcomes = await running;
    expect(killedAt).toBeGreaterThan(0);
    expect(outcomes.length).toBeGreaterThan(50);
    // No call waited anywhere near its 5 s deadline.
    expect(Math.max(...outcomes.map((o) => o.end - o.start))).toBeLessThan(1000);
    // Failures, if any, are UNAVAILABLE calls that were in flight at the kill.
    for (const o of outcomes.filter((o) => o.code)) {
      expect(o.code).toBe('UNAVAILABLE');
      expect(o.start).toBeLessThanOrEqual(killedAt + 50);
    }
    const later = outcomes.filter((o) => o.start > killedAt + 1000);
    expect(later.length).toBeGreaterThan(10);
    expect(later.every((o) => o.who === 'b')).toBe(true);
    // Calls started after the kill was noticed never failed either.
    expect(outcomes.filter((o) => o.start > killedAt + 200 && o.code)).toEqual([]);
  });

  it('graceful stop of one instance while calls run: zero failed calls', async () => {
    const setup = await twoProbes();
    caller = setup.caller;
    let stoppedAt = 0;
    const running = callContinuously(caller, 2000, 8, (p) => p.slow(20));
    setTimeout(() => {
      stoppedAt = Date.now();
      void setup.a.stop();
    }, 500);
    const outcomes = await running;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.code)).toEqual([]);
    const whoBefore = new Set(outcomes.filter((o) => o.end < stoppedAt).map((o) => o.who));
    expect(whoBefore).toEqual(new Set(['a', 'b']));
    const later = outcomes.filter((o) => o.start > stoppedAt + 500);
    expect(later.length).toBeGreaterThan(10);
    expect(later.every((o) => o.who === 'b')).toBe(true);
    expect(setup.a.output()).toContain('CLOSED');
  });
});
