/**
 * The calls this node waits on over one link, by stream id: each with its deadline timer and the
 * caller's abort signal. When either fires the call is given up (`onGiveUp`: the link fails it
 * and tells the peer to stop). One function serves every call's timer (its arguments say which
 * call), so starting a call allocates no closure for it.
 */
import { MeshError } from '../core/errors.js';
import { Failures } from '../core/failures.js';
import { timerDelay } from '../core/timers.js';
import type { Inflow } from './flow.js';

export interface PendingCall {
  resolve(body: Buffer): void;
  reject(err: MeshError): void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** For stream calls: where response DATA goes once the head arrived. */
  stream?: Inflow;
}

export class CallTable {
  readonly #calls = new Map<number, PendingCall>();
  readonly #onGiveUp: (streamId: number, err: MeshError) => void;

  constructor(onGiveUp: (streamId: number, err: MeshError) => void) {
    this.#onGiveUp = onGiveUp;
  }

  get size(): number {
    return this.#calls.size;
  }

  get(streamId: number): PendingCall | undefined {
    return this.#calls.get(streamId);
  }

  ids(): number[] {
    return [...this.#calls.keys()];
  }

  track(streamId: number, timeout: number, signal: AbortSignal | undefined, resolve: (b: Buffer) => void, reject: (e: MeshError) => void): PendingCall {
    const call: PendingCall = { resolve, reject, signal, onAbort: undefined, timer: setTimeout(this.#onDeadline, timerDelay(timeout), streamId, timeout) };
    if (signal) {
      call.onAbort = () => this.#onGiveUp(streamId, Failures.cancelledByCaller(undefined, { cause: signal.reason }));
      signal.addEventListener('abort', call.onAbort, { once: true });
    }
    this.#calls.set(streamId, call);
    return call;
  }

  readonly #onDeadline = (streamId: number, timeout: number) =>
    this.#onGiveUp(streamId, Failures.deadlineExceeded({ afterMs: timeout }));

  /** Stop tracking a call (its timer and abort listener go) and hand it back, if it was pending. */
  settle(streamId: number): PendingCall | undefined {
    const call = this.#calls.get(streamId);
    if (!call) return undefined;
    this.#calls.delete(streamId);
    clearTimeout(call.timer);
    if (call.onAbort) call.signal!.removeEventListener('abort', call.onAbort);
    return call;
  }
}
