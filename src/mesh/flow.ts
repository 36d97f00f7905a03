/**
 * Per-stream flow control for mesh byte streams. A sender may have at most STREAM_WINDOW bytes
 * of a stream in flight that the receiver has not yet granted back; the receiver grants credit
 * (WINDOW frames) as its consumer reads. So a slow reader (an HTTP client downloading through
 * the gateway, a handler that reads its upload slowly) holds the writer back instead of making
 * either side buffer the whole body in memory.
 */
import { Readable } from 'node:stream';
import { MeshError } from '../core/errors.js';

/** Bytes of one stream direction that may be unacknowledged; both sides assume it (protocol v1). */
export const STREAM_WINDOW = 256 * 1024;

/** The sending half: ordered writes that wait for credit. */
export class Outflow {
  #window = STREAM_WINDOW;
  #tail: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;
  #closed: MeshError | undefined;
  readonly #sendData: (chunk: Uint8Array, end: boolean) => void;
  readonly #maxFrame: () => number;

  constructor(sendData: (chunk: Uint8Array, end: boolean) => void, maxFrame: () => number) {
    this.#sendData = sendData;
    this.#maxFrame = maxFrame;
  }

  /** Queue bytes; resolves once they are handed to the socket within the window. */
  write(chunk: Uint8Array): Promise<void> {
    return this.#enqueue(() => this.#send(chunk, false));
  }

  /** Queue the end of the stream after everything written before. */
  end(): Promise<void> {
    return this.#enqueue(async () => this.#sendData(new Uint8Array(0), true));
  }

  /** The receiver consumed `bytes`: more may be sent. */
  grant(bytes: number): void {
    this.#window += bytes;
    this.#wake?.();
  }

  /** The stream is over (reset, cancelled, connection lost): pending and later writes fail. */
  close(reason: MeshError): void {
    this.#closed ??= reason;
    this.#wake?.();
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.#tail.then(() => {
      if (this.#closed) throw this.#closed;
      return step();
    });
    // A failed step must not wedge the steps queued after it: they see #closed and fail too.
    this.#tail = next.catch(() => {});
    return next;
  }

  async #send(chunk: Uint8Array, end: boolean): Promise<void> {
    let o = 0;
    while (o < chunk.length) {
      while (this.#window <= 0) {
        if (this.#closed) throw this.#closed;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
      }
      if (this.#closed) throw this.#closed;
      const n = Math.min(chunk.length - o, this.#window, this.#maxFrame());
      this.#sendData(chunk.subarray(o, o + n), end && o + n >= chunk.length);
      this.#window -= n;
      o += n;
    }
  }
}

/** The receiving half: a Readable whose consumption grants credit back to the sender. */
export class Inflow {
  readonly readable: Readable;
  #ungranted = 0;
  readonly #grant: (bytes: number) => void;

  constructor(grant: (bytes: number) => void) {
    this.#grant = grant;
    this.readable = new Readable({ highWaterMark: STREAM_WINDOW / 2, read: () => this.#flushCredit() });
  }

  push(data: Buffer): void {
    this.#ungranted += data.length;
    // Room left in the buffer: grant in batches of half a window, so credit flows while the
    // sender still has some. Otherwise the grant waits for the consumer's next read().
    if (this.readable.push(data) && this.#ungranted >= STREAM_WINDOW / 2) this.#flushCredit();
  }

  end(): void {
    this.readable.push(null);
  }

  #flushCredit(): void {
    if (this.#ungranted === 0) return;
    const n = this.#ungranted;
    this.#ungranted = 0;
    this.#grant(n);
  }
}
