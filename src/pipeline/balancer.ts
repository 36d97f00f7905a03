/**
 * Load-balancing strategies. A strategy is one small object with one method: pick an instance
 * from the live ones. Sticky keys use rendezvous (highest-random-weight) hashing, so when an
 * instance leaves only the keys it held move, and every caller maps a key to the same instance
 * without coordination.
 */

export interface Instance {
  /** Node id of the instance (stable while it lives). */
  readonly id: string;
  /** Calls this node has in flight to it. */
  readonly inFlight: number;
  /** Not heard from lately while calls wait on it: take no new calls while others can. */
  readonly suspect?: boolean;
}

/**
 * The instances a new call may go to: all but the suspect ones, or all of them when every one
 * is suspect (a guess must not turn into a failure). The list itself when none is suspect.
 */
export function withoutSuspects<I extends Instance>(instances: readonly I[]): readonly I[] {
  let i = 0;
  while (i < instances.length && !instances[i].suspect) i++;
  if (i === instances.length) return instances;
  const healthy = instances.filter((inst) => !inst.suspect);
  return healthy.length > 0 ? healthy : instances;
}

export interface SelectContext {
  service: string;
  stickyKey?: string;
}

export interface Strategy {
  select<I extends Instance>(instances: readonly I[], ctx: SelectContext): I;
}

/** Each service's calls go to its instances in turn. */
export class RoundRobin implements Strategy {
  readonly #counters = new Map<string, number>();

  select<I extends Instance>(instances: readonly I[], ctx: SelectContext): I {
    const n = this.#counters.get(ctx.service) ?? 0;
    this.#counters.set(ctx.service, n + 1 >= 0x7fffffff ? 0 : n + 1);
    return instances[n % instances.length];
  }
}

/** Power of two choices: of two random instances, the one with fewer calls in flight. */
export class LeastLoaded implements Strategy {
  select<I extends Instance>(instances: readonly I[], _ctx?: SelectContext): I {
    if (instances.length === 1) return instances[0];
    const a = instances[Math.floor(Math.random() * instances.length)];
    let b = instances[Math.floor(Math.random() * (instances.length - 1))];
    if (b === a) b = instances[instances.length - 1];
    return b.inFlight < a.inFlight ? b : a;
  }
}

/** The instance with the highest hash of (key, instance id). */
export class Rendezvous implements Strategy {
  select<I extends Instance>(instances: readonly I[], ctx: SelectContext): I {
    const key = ctx.stickyKey ?? '';
    let best = instances[0];
    let bestScore = -1;
    for (const inst of instances) {
      const score = hash32(key, inst.id);
      if (score > bestScore || (score === bestScore && inst.id < best.id)) {
        best = inst;
        bestScore = score;
      }
    }
    return best;
  }
}

export type StrategyName = 'round-robin' | 'least-loaded';

export function strategyByName(name: StrategyName | Strategy | undefined): Strategy {
  if (name === undefined || name === 'round-robin') return new RoundRobin();
  if (name === 'least-loaded') return new LeastLoaded();
  if (typeof name === 'object') return name;
  throw new TypeError(`unknown balancing strategy "${String(name)}" (expected round-robin or least-loaded)`);
}

/** FNV-1a over key, a separator and id, then a murmur3 finalizer for a well-mixed 32-bit score. */
export function hash32(key: string, id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0, 0x01000193);
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
