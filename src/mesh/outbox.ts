/**
 * Write batching for one peer link. Frames written while one event is handled (its callback and
 * the promise jobs it starts) are gathered and leave in one write. The first such batch in a
 * loop iteration goes out at once (nextTick: no added latency for a lone call); later batches in
 * the same iteration wait for its end (setImmediate), so when many sockets' events each start a
 * call (a gateway under load) they share one write instead of one syscall each. Small frames are
 * concatenated (cheaper than a corked writev of many entries); large ones (stream data) go out
 * as they are, after what was gathered before them.
 */
import type { Socket } from 'node:net';

/** Frames at least this large are written on their own rather than gathered. */
const LARGE_WRITE = 64 * 1024;

export class Outbox {
  readonly #socket: Socket;
  readonly #highWater: number;
  readonly #onBacklog: () => void;
  #frames: Buffer[] = [];
  #bytes = 0;
  #closed = false;
  #flushedThisIteration = false;

  /** `onBacklog` is told whenever a write leaves more than `highWater` bytes queued in the socket. */
  constructor(socket: Socket, highWater: number, onBacklog: () => void) {
    this.#socket = socket;
    this.#highWater = highWater;
    this.#onBacklog = onBacklog;
  }

  /** Queue a frame; false when the socket asks writers to wait for 'drain' (or is closed). */
  send(buf: Buffer): boolean {
    if (this.#closed) return false;
    if (buf.length >= LARGE_WRITE) {
      this.flush();
      const ok = this.#socket.write(buf);
      if (this.#socket.writableLength > this.#highWater) this.#onBacklog();
      return ok;
    }
    this.#frames.push(buf);
    this.#bytes += buf.length;
    if (this.#frames.length === 1) {
      if (this.#flushedThisIteration) setImmediate(this.flush);
      else process.nextTick(this.flush);
    }
    return !this.#socket.writableNeedDrain;
  }

  /** Write what is gathered now (before a close, so replies of this iteration still leave). */
  readonly flush = (): void => {
    const n = this.#frames.length;
    if (n === 0 || this.#closed) return;
    const out = n === 1 ? this.#frames[0] : Buffer.concat(this.#frames, this.#bytes);
    this.#frames = [];
    this.#bytes = 0;
    this.#socket.write(out);
    if (this.#socket.writableLength > this.#highWater) this.#onBacklog();
    if (!this.#flushedThisIteration) {
      this.#flushedThisIteration = true;
      setImmediate(this.#newIteration);
    }
  };

  readonly #newIteration = () => {
    this.#flushedThisIteration = false;
  };

  /** Drop what is queued and refuse more: the link is gone. */
  close(): void {
    this.#closed = true;
    this.#frames = [];
    this.#bytes = 0;
  }
}
