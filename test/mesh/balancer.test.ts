import { describe, expect, it } from 'vitest';
import { LeastLoaded, Rendezvous, RoundRobin } from '../../src/index.js';

const inst = (id: string, inFlight = 0) => ({ id, inFlight });

describe('strategies', () => {
  it('round robin visits instances in turn, per service', () => {
    const rr = new RoundRobin();
    const list = [inst('a'), inst('b'), inst('c')];
    expect([0, 1, 2, 3].map(() => rr.select(list, { service: 's' }).id)).toEqual(['a', 'b', 'c', 'a']);
    expect(rr.select(list, { service: 'other' }).id).toBe('a');
  });

  it('rendezvous moves only the keys of a removed instance', () => {
    const r = new Rendezvous();
    const all = ['a', 'b', 'c', 'd'].map((id) => inst(id));
    const without = all.filter((i) => i.id !== 'c');
    let moved = 0;
    const counts: Record<string, number> = {};
    for (let k = 0; k < 2000; k++) {
      const key = `user-${k}`;
      const before = r.select(all, { service: 's', stickyKey: key }).id;
      const after = r.select(without, { service: 's', stickyKey: key }).id;
      counts[before] = (counts[before] ?? 0) + 1;
      if (before !== 'c') expect(after).toBe(before);
      else moved++;
    }
    expect(moved).toBe(counts.c);
    // Keys spread over all instances (each gets a fair share, within wide bounds).
    for (const id of ['a', 'b', 'c', 'd']) expect(counts[id]).toBeGreaterThan(350);
  });

  it('least loaded prefers the instance with fewer calls in flight', () => {
    const ll = new LeastLoaded();
    const list = [inst('busy', 50), inst('idle', 0)];
    for (let i = 0; i < 20; i++) expect(ll.select(list, { service: 's' }).id).toBe('idle');
  });
});
