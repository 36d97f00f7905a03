/**
 * Keeps this node connected to every address it should reach: the seeds (host names
 * re-resolved periodically, so a DNS name that maps to several containers finds instances that
 * appear later) and the addresses learned by gossip. Failed dials back off exponentially with
 * jitter; addresses learned by gossip are forgotten after repeated failures, seeds never are.
 *
 * Seeds are what a person typed (MESHRPC_CLUSTER_NODES / `nodes`), so a seed that cannot be
 * reached is worth a warning with its address and the reason: logged on the first failure, when
 * the reason changes, and then at most once per `warnInterval`, never once per retry; reaching it
 * later is logged at info. At most `maxDialing` dials are in progress at once, so a long list of
 * dead seeds costs a bounded number of sockets and connect attempts per second. `seedHint` turns the same record into the words of a waitFor timeout.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { formatHostPort, parseHostPort } from './config.js';

export interface DialerOptions {
  seeds: readonly string[];
  resolveInterval: number;
  backoffBase: number;
  backoffMax: number;
  /** Failed attempts after which an address learned by gossip is dropped. */
  forgetAfter: number;
  /** Try to connect; resolves ok when a handshake completed, else why not (ECONNREFUSED, a timeout...). */
  dial(addr: string): Promise<DialOutcome>;
  /** True when a live link already reaches this address. */
  isLinked(addr: string): boolean;
  log(level: 'debug' | 'info' | 'warn', msg: string, extra?: object): void;
  /** A seed still failing is warned about again at most this often (ms). Default 60 s. */
  warnInterval?: number;
  /** Dials in progress at once, at most (many dead or black-holed seeds hold no more sockets). Default 32. */
  maxDialing?: number;
}

export type DialOutcome = { ok: true } | { ok: false; reason: string };

/** A seed (or one address a seed's name resolved to) that cannot be reached right now. */
export interface UnreachableSeed {
  /** As configured, e.g. "seed.internal:11999". */
  seed: string;
  /** The address dialed, when the name resolved. */
  addr?: string;
  /** e.g. "ECONNREFUSED", "ENOTFOUND", "no handshake within 3000 ms". */
  reason: string;
  /** Failed attempts so far. */
  failures: number;
}

interface SeedTrouble extends UnreachableSeed {
  warnedAt: number;
}

interface Target {
  addr: string;
  /** The configured seed this address came from, if it is one. */
  seed: string | undefined;
  attempts: number;
  nextAt: number;
  dialing: boolean;
}

const DEFAULT_MAX_DIALING = 32;

export class Dialer {
  readonly #opts: DialerOptions;
  readonly #targets = new Map<string, Target>();
  /** Addresses that turned out to be this node itself. */
  readonly #self = new Set<string>();
  /** Seeds failing now, by address (or `dns:<seed>` when the name does not resolve). */
  readonly #troubles = new Map<string, SeedTrouble>();
  #tick: NodeJS.Timeout | undefined;
  #resolveTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Dials started and not settled yet. */
  #dialing = 0;

  constructor(opts: DialerOptions) {
    this.#opts = opts;
  }

  async start(): Promise<void> {
    await this.#resolveSeeds();
    this.#tick = setInterval(() => this.#dialDue(), 100);
    this.#tick.unref();
    if (this.#opts.seeds.some((s) => !isIP(parseHostPort(s, '127.0.0.1').host))) {
      this.#resolveTimer = setInterval(() => void this.#resolveSeeds(), this.#opts.resolveInterval);
      this.#resolveTimer.unref();
    }
    this.#dialDue();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#tick);
    clearInterval(this.#resolveTimer);
  }

  /** Addresses heard of through gossip, to dial now or after about `deferMs` (±50%). */
  learn(addrs: readonly string[], deferMs = 0): void {
    let added = false;
    for (const addr of addrs) {
      if (this.#self.has(addr) || this.#targets.has(addr)) continue;
      const nextAt = deferMs > 0 ? Date.now() + Math.round(deferMs * (0.5 + Math.random())) : 0;
      this.#targets.set(addr, { addr, seed: undefined, attempts: 0, nextAt, dialing: false });
      added = true;
    }
    if (added) this.#dialDue();
  }

  markSelf(addr: string): void {
    this.#self.add(addr);
    this.#targets.delete(addr);
    this.#troubles.delete(addr);
  }

  /** The seeds configured, and those that cannot be reached now (for a waitFor timeout). */
  seedReport(): { seeds: readonly string[]; unreachable: UnreachableSeed[] } {
    return { seeds: this.#opts.seeds, unreachable: [...this.#troubles.values()].map(({ warnedAt: _, ...u }) => u) };
  }

  /** The link to addr closed: try again soon (with backoff if it keeps failing). */
  lost(addr: string): void {
    const t = this.#targets.get(addr);
    if (t) t.nextAt = Date.now() + this.#backoff(t.attempts);
  }

  /** The peer refused us for good reasons (other tags): retry rarely. */
  refused(addr: string): void {
    const t = this.#targets.get(addr);
    if (!t) return;
    if (t.seed === undefined) this.#targets.delete(addr);
    else t.nextAt = Date.now() + this.#opts.backoffMax;
  }

  async #resolveSeeds(): Promise<void> {
    for (const seed of this.#opts.seeds) {
      const { host, port } = parseHostPort(seed, '127.0.0.1');
      let hosts: string[];
      if (isIP(host)) {
        hosts = [host];
      } else {
        try {
          hosts = (await lookup(host, { all: true })).map((a) => a.address);
          this.#recovered(`dns:${seed}`);
        } catch (err) {
          this.#failed(`dns:${seed}`, seed, undefined, reasonOf(err));
          continue;
        }
      }
      for (const h of hosts) {
        const addr = formatHostPort({ host: h, port });
        if (this.#self.has(addr)) continue;
        const t = this.#targets.get(addr);
        if (t) t.seed = seed;
        else this.#targets.set(addr, { addr, seed, attempts: 0, nextAt: 0, dialing: false });
      }
    }
  }

  /**
   * Dial what is due, at most maxDialing at a time; when one settles the next starts at once.
   * The bound also paces a join: a node that joins learns every member at once.
   */
  #dialDue(): void {
    if (this.#stopped) return;
    const now = Date.now();
    const max = this.#opts.maxDialing ?? DEFAULT_MAX_DIALING;
    for (const t of this.#targets.values()) {
      if (this.#dialing >= max) return; // the rest wait for a later tick; settled ones back off, so all get a turn
      if (t.dialing || t.nextAt > now || this.#opts.isLinked(t.addr)) continue;
      t.dialing = true;
      this.#dialing++;
      this.#opts.dial(t.addr).then(
        (outcome) => this.#settle(t, outcome),
        (err: unknown) => this.#settle(t, { ok: false, reason: reasonOf(err) }),
      );
    }
  }

  #settle(t: Target, outcome: DialOutcome): void {
    t.dialing = false;
    this.#dialing--;
    queueMicrotask(() => this.#dialDue()); // the next one waiting, without waiting for the tick
    // Dropped meanwhile (it was this node itself): nothing to report.
    if (this.#targets.get(t.addr) !== t) return;
    if (outcome.ok) {
      t.attempts = 0;
      if (t.seed !== undefined) this.#recovered(t.addr);
      return;
    }
    t.attempts++;
    if (t.seed !== undefined && !this.#stopped) this.#failed(t.addr, t.seed, t.addr, outcome.reason);
    if (t.seed === undefined && t.attempts >= this.#opts.forgetAfter) {
      this.#targets.delete(t.addr);
      this.#opts.log('debug', 'forgetting unreachable address', { addr: t.addr });
      return;
    }
    t.nextAt = Date.now() + this.#backoff(t.attempts);
  }

  /** Warn on a seed's first failure, on a new reason, then at most once per warnInterval. */
  #failed(key: string, seed: string, addr: string | undefined, reason: string): void {
    const now = Date.now();
    const where = addr !== undefined && addr !== seed ? `${seed} (${addr})` : seed;
    const trouble = this.#troubles.get(key);
    if (!trouble) {
      this.#troubles.set(key, { seed, addr, reason, failures: 1, warnedAt: now });
      this.#opts.log('warn', `cannot reach seed ${where}: ${reason}; retrying with backoff`, { seed, addr, reason });
      return;
    }
    trouble.failures++;
    const interval = this.#opts.warnInterval ?? 60_000;
    if (reason === trouble.reason && now - trouble.warnedAt < interval) return;
    trouble.reason = reason;
    trouble.warnedAt = now;
    this.#opts.log('warn', `still cannot reach seed ${where}: ${reason} (${trouble.failures} attempts)`, { seed, addr, reason, failures: trouble.failures });
  }

  #recovered(key: string): void {
    const trouble = this.#troubles.get(key);
    if (!trouble) return;
    this.#troubles.delete(key);
    const what = key.startsWith('dns:') ? `seed ${trouble.seed} resolves again` : `reached seed ${trouble.addr ?? trouble.seed}`;
    this.#opts.log('info', `${what} after ${trouble.failures} failed attempt${trouble.failures === 1 ? '' : 's'}`, { seed: trouble.seed, addr: trouble.addr });
  }

  /** base * 2^attempts, capped, with ±50% jitter so restarted clusters do not dial in lockstep. */
  #backoff(attempts: number): number {
    const raw = Math.min(this.#opts.backoffMax, this.#opts.backoffBase * 2 ** Math.min(attempts, 20));
    return Math.round(raw * (0.5 + Math.random()));
  }
}

/** The short reason of a failed dial or lookup: the system error code when there is one. */
export function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.length > 0) return code;
  return err instanceof Error ? err.message : String(err);
}

/**
 * What a waitFor timeout should add about reaching the cluster: the seeds not reached and why,
 * or that there are none to reach. Undefined when the seeds are fine.
 */
export function seedHint(dialer: Dialer | undefined, linkedPeers: number): { text: string; unreachable: UnreachableSeed[] } | undefined {
  if (!dialer) return { text: 'this node has not joined the cluster (listen() was not called)', unreachable: [] };
  const { seeds, unreachable } = dialer.seedReport();
  if (unreachable.length > 0) {
    const list = unreachable.map((u) => `${u.addr !== undefined && u.addr !== u.seed ? `${u.seed} (${u.addr})` : u.seed}: ${u.reason}`);
    return { text: `seeds not reached: ${list.join(', ')}`, unreachable };
  }
  if (seeds.length === 0 && linkedPeers === 0) {
    return { text: 'this node has no seeds (MESHRPC_CLUSTER_NODES or the nodes option) and no peer has joined it', unreachable: [] };
  }
  return undefined;
}
