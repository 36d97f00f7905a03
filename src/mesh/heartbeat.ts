/**
 * Liveness of one peer link: any received byte counts.
 *
 * - An idle link gets a PING after `interval` of silence, so heartbeat traffic does not grow
 *   with load; a link silent past `timeout` is declared dead (its calls fail with UNAVAILABLE).
 * - A link with calls outstanding that hears nothing for a short time is *suspect*: it is pinged
 *   at once and the balancer routes no new calls to it until bytes arrive again. The time is the
 *   link's own: `suspectFactor` × its smoothed PING round trip, at least `suspectAfter`, at most
 *   `timeout`. A busy link hears replies constantly, so the check costs one timer per
 *   `suspectAfter` while calls are outstanding, and being wrongly suspect costs one PING.
 *   Calls already on a suspect link keep waiting (they may be running): only the dead timeout
 *   ends them.
 * - While `held` (this node paused reading for backpressure, so silence is ours, not the
 *   peer's) neither suspicion nor death by silence is judged; and a timer that fires late (this
 *   process did not run: a long task, a GC pause, a stopped VM) does not count that time as the
 *   peer's silence. Timers run before the sockets are read, so what the peer sent meanwhile is
 *   still unread; counting it would close every link of a node that was merely busy.
 */

export interface HeartbeatOptions {
  interval: number;
  timeout: number;
  suspectAfter: number;
}

export interface HeartbeatLink {
  /** Calls this node waits on over the link. */
  readonly outstanding: number;
  ping(): void;
  dead(idleMs: number): void;
}

/** Suspect after this many smoothed round trips of silence (when above the floor). */
const SUSPECT_FACTOR = 4;

export class Heartbeat {
  #lastReceived = Date.now();
  /** Smoothed PING round trip (ms); undefined until the first PONG. */
  #srtt: number | undefined;
  #pingSentAt = 0;
  #suspect = false;
  #held = false;
  /** The suspicion check, armed while calls are outstanding; `#watchFrom` is when it was armed. */
  #watch: NodeJS.Timeout | undefined;
  #watchFrom = 0;
  #watchDue = 0;
  #lastTick = Date.now();
  readonly #idleTimer: NodeJS.Timeout;
  readonly #opts: HeartbeatOptions;
  readonly #link: HeartbeatLink;

  constructor(opts: HeartbeatOptions, link: HeartbeatLink) {
    this.#opts = opts;
    this.#link = link;
    this.#idleTimer = setInterval(this.#onInterval, opts.interval);
    this.#idleTimer.unref();
  }

  /** No new calls should go here until the peer is heard again. */
  get suspect(): boolean {
    return this.#suspect;
  }

  /** The silence (ms) after which a link with calls outstanding becomes suspect. */
  get suspectAfter(): number {
    const { suspectAfter, timeout } = this.#opts;
    const adaptive = this.#srtt === undefined ? 0 : SUSPECT_FACTOR * this.#srtt;
    return Math.min(timeout, Math.max(suspectAfter, adaptive));
  }

  /** Something arrived from the peer. */
  received(): void {
    this.#lastReceived = Date.now();
    this.#suspect = false;
  }

  /** A PONG arrived: a round-trip sample, when it answers our PING. */
  pong(): void {
    if (this.#pingSentAt === 0) return;
    const sample = Date.now() - this.#pingSentAt;
    this.#pingSentAt = 0;
    this.#srtt = this.#srtt === undefined ? sample : this.#srtt + (sample - this.#srtt) / 8;
  }

  /** A call was sent: watch for silence while it is outstanding (a no-op when already watching). */
  callStarted(): void {
    if (this.#suspect || this.#held) return;
    if (this.#watch === undefined) {
      this.#watchFrom = Date.now();
      this.#arm(this.suspectAfter);
    } else if (this.#link.outstanding === 0) {
      // The first call after a quiet spell: the silence that matters starts now.
      this.#watchFrom = Date.now();
    }
  }

  #arm(delay: number): void {
    this.#watchDue = Date.now() + delay;
    this.#watch = setTimeout(this.#check, delay);
    this.#watch.unref();
  }

  /** This node stopped (true) or resumed (false) reading the link. */
  hold(held: boolean): void {
    this.#held = held;
    // Silence while we did not read says nothing about the peer: count from the resume.
    if (!held) this.#lastReceived = Date.now();
  }

  stop(): void {
    clearInterval(this.#idleTimer);
    clearTimeout(this.#watch);
    this.#watch = undefined;
  }

  readonly #check = (): void => {
    this.#watch = undefined;
    if (this.#link.outstanding === 0 || this.#suspect || this.#held) return;
    const now = Date.now();
    const after = this.suspectAfter;
    if (now - this.#watchDue > after) {
      // We fired late: our own silence. Count afresh from now.
      this.#watchFrom = now;
      this.#arm(after);
      return;
    }
    const silent = now - Math.max(this.#lastReceived, this.#watchFrom);
    if (silent >= after) {
      this.#suspect = true;
      this.#ping();
      return;
    }
    this.#arm(after - silent);
  };

  readonly #onInterval = (): void => {
    const now = Date.now();
    const late = now - this.#lastTick - this.#opts.interval;
    this.#lastTick = now;
    if (this.#held) return;
    // Fired late: the time this process did not run is not the peer's silence. Count it as
    // silent for one interval (so it is pinged now) and judge it on the next ticks.
    if (late > this.#opts.interval) this.#lastReceived = Math.max(this.#lastReceived, now - this.#opts.interval);
    const idle = now - this.#lastReceived;
    if (idle > this.#opts.timeout) this.#link.dead(idle);
    else if (idle >= this.#opts.interval) this.#ping();
  };

  #ping(): void {
    this.#pingSentAt ||= Date.now(); // a PING still unanswered keeps its start: the sample is the longest wait
    this.#link.ping();
  }
}
