/**
 * Keeps this node connected to every address it should reach: the seeds (host names
 * re-resolved periodically, so a DNS name that maps to several containers finds instances that
 * appear later) and the addresses learned by gossip. Failed dials back off exponentially with
 * jitter; addresses learned by gossip are forgotten after repeated failures, seeds never are.
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
  /** Try to connect; resolves true when a handshake completed. */
  dial(addr: string): Promise<boolean>;
  /** True when a live link already reaches this address. */
  isLinked(addr: string): boolean;
  log(level: 'debug' | 'info' | 'warn', msg: string, extra?: object): void;
}

interface Target {
  addr: string;
  seed: boolean;
  attempts: number;
  nextAt: number;
  dialing: boolean;
}

export class Dialer {
  readonly #opts: DialerOptions;
  readonly #targets = new Map<string, Target>();
  /** Addresses that turned out to be this node itself. */
  readonly #self = new Set<string>();
  #tick: NodeJS.Timeout | undefined;
  #resolveTimer: NodeJS.Timeout | undefined;
  #stopped = false;

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

  /** Addresses heard of through gossip. */
  learn(addrs: readonly string[]): void {
    let added = false;
    for (const addr of addrs) {
      if (this.#self.has(addr) || this.#targets.has(addr)) continue;
      this.#targets.set(addr, { addr, seed: false, attempts: 0, nextAt: 0, dialing: false });
      added = true;
    }
    if (added) this.#dialDue();
  }

  markSelf(addr: string): void {
    this.#self.add(addr);
    this.#targets.delete(addr);
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
    if (!t.seed) this.#targets.delete(addr);
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
        } catch (err) {
          this.#opts.log('debug', 'seed did not resolve', { seed, error: (err as Error).message });
          continue;
        }
      }
      for (const h of hosts) {
        const addr = formatHostPort({ host: h, port });
        if (this.#self.has(addr)) continue;
        const t = this.#targets.get(addr);
        if (t) t.seed = true;
        else this.#targets.set(addr, { addr, seed: true, attempts: 0, nextAt: 0, dialing: false });
      }
    }
  }

  #dialDue(): void {
    if (this.#stopped) return;
    const now = Date.now();
    for (const t of this.#targets.values()) {
      if (t.dialing || t.nextAt > now || this.#opts.isLinked(t.addr)) continue;
      t.dialing = true;
      this.#opts.dial(t.addr).then(
        (ok) => this.#settle(t, ok),
        () => this.#settle(t, false),
      );
    }
  }

  #settle(t: Target, ok: boolean): void {
    t.dialing = false;
    if (ok) {
      t.attempts = 0;
      return;
    }
    t.attempts++;
    if (!t.seed && t.attempts >= this.#opts.forgetAfter) {
      this.#targets.delete(t.addr);
      this.#opts.log('debug', 'forgetting unreachable address', { addr: t.addr });
      return;
    }
    t.nextAt = Date.now() + this.#backoff(t.attempts);
  }

  /** base * 2^attempts, capped, with ±50% jitter so restarted clusters do not dial in lockstep. */
  #backoff(attempts: number): number {
    const raw = Math.min(this.#opts.backoffMax, this.#opts.backoffBase * 2 ** Math.min(attempts, 20));
    return Math.round(raw * (0.5 + Math.random()));
  }
}
