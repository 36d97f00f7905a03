/**
 * Connections refused at the node's connection limit, logged once per burst: the first refusal
 * at once, then one line per window with how many more were refused, until a window passes
 * without any. A flood of sockets therefore costs a few log lines, not one per socket.
 */

/** How long a burst of refusals is summed up before it is logged again. */
const WINDOW_MS = 10_000;

export class RefusalLog {
  readonly #limit: number;
  readonly #log: (msg: string, extra: object) => void;
  readonly #windowMs: number;
  #timer: NodeJS.Timeout | undefined;
  #count = 0;

  constructor(limit: number, log: (msg: string, extra: object) => void, windowMs = WINDOW_MS) {
    this.#limit = limit;
    this.#log = log;
    this.#windowMs = windowMs;
  }

  refused(from: string | undefined): void {
    if (this.#timer !== undefined) {
      this.#count++;
      return;
    }
    this.#log(`refusing connections: this node holds its limit of ${this.#limit} (maxConnections)`, { limit: this.#limit, from });
    this.#arm();
  }

  #arm(): void {
    this.#timer = setTimeout(this.#endOfWindow, this.#windowMs);
    this.#timer.unref();
  }

  readonly #endOfWindow = (): void => {
    this.#timer = undefined;
    if (this.#count === 0) return; // the burst is over; the next refusal is logged at once
    this.#log(`refused ${this.#count} more connections in ${this.#windowMs / 1000} s (maxConnections ${this.#limit})`, { limit: this.#limit, refused: this.#count });
    this.#count = 0;
    this.#arm();
  };
}
