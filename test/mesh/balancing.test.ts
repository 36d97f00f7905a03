/**
 * Two probe instances in their own processes and a caller here: round robin splits calls,
 * a sticky key pins them, and when the pinned instance stops the key moves and stays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, Mesh } from '../../src/index.js';
import { probeSpec } from '../fixtures/mesh/probe.js';
import { twoProbes } from '../helpers/cluster.js';
import { killAll, type Started } from '../helpers/procs.js';

describe('load balancing across processes', () => {
  let a: Started;
  let b: Started;
  let caller: Mesh;

  beforeAll(async () => {
    ({ a, b, caller } = await twoProbes());
  });

  afterAll(async () => {
    await caller?.close();
    await killAll();
  });

  it('splits 100 calls between two instances, 50 ± 10', async () => {
    const probe = createClient(probeSpec, caller);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const who = await probe.whoami();
      counts[who] = (counts[who] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['a', 'b']);
    expect(counts.a).toBeGreaterThanOrEqual(40);
    expect(counts.a).toBeLessThanOrEqual(60);
  });

  it('sends every call with one sticky key to one instance, and moves the key when it stops', async () => {
    const probe = createClient(probeSpec, caller).with({ stickyKey: 'user-7' });
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(await probe.whoami());
    expect(seen.size).toBe(1);
    const first = [...seen][0];

    await (first === 'a' ? a : b).stop();
    const after = new Set<string>();
    for (let i = 0; i < 100; i++) after.add(await probe.whoami());
    expect([...after]).toEqual([first === 'a' ? 'b' : 'a']);
  });
});
