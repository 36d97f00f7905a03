/**
 * Counting calls in flight so a graceful stop can wait for them, with a bound: `drain` resolves
 * when the count reaches zero or the timeout passes, whichever comes first (no stop can hang).
 */
export class InFlight {
  #count = 0;
  #waiters: Array<() => void> = [];

  get count(): number {
    return this.#count;
  }

  /** fn(), counted until it settles (one promise layer: this is on every served call's path). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.#count++;
    let p: Promise<T>;
    try {
      p = fn();
    } catch (err) {
      this.#end();
      return Promise.reject(err);
    }
    return p.then(
      (value) => {
        this.#end();
        return value;
      },
      (err: unknown) => {
        this.#end();
        throw err;
      },
    );
  }

  #end(): void {
    if (--this.#count === 0) {
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
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#waiters.push(done);
    });
  }
}
