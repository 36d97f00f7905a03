/**
 * Liveness of one peer link: any received frame counts. A PING goes out only on an idle link, so
 * heartbeat traffic does not grow with load; a link silent past the timeout is declared dead.
 */
export class Heartbeat {
  #lastReceived = Date.now();
  readonly #timer: NodeJS.Timeout;

  constructor(interval: number, timeout: number, ping: () => void, dead: (idleMs: number) => void) {
    this.#timer = setInterval(() => {
      const idle = Date.now() - this.#lastReceived;
      if (idle > timeout) dead(idle);
      else if (idle >= interval) ping();
    }, interval);
    this.#timer.unref();
  }

  /** Something arrived from the peer. */
  received(): void {
    this.#lastReceived = Date.now();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
