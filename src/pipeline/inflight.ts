/**
 * Counting calls in flight so a graceful stop can wait for them, with a bound: `drain` resolves
 * when the count reaches zero or the timeout passes, whichever comes first (no stop can hang).
 * Every transport's drain is this one count (see Inbound), never a poll.
 */
import { timerDelay } from '../core/timers.js';

export class InFlight {
  #count = 0;
  #waiters: Array<() => void> = [];

  get count(): number {
    return this.#count;
  }

  /** A call started; pair with exactly one `leave()`. */
  enter(): void {
    this.#count++;
  }

  leave(): void {
    if (--this.#count === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves true when everything finished, false when the timeout cut the wait short. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve(false);
      }, timerDelay(timeoutMs));
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#waiters.push(done);
    });
  }
}
