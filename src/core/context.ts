/**
 * The call context: deadline, cancellation, metadata and the calling node of the call being
 * served. Handlers reach it with `currentContext()` (AsyncLocalStorage), so a plain class method
 * needs no extra parameter. The AbortSignal is created lazily: most handlers never look at it,
 * and an AbortController plus a timer per call is measurable on the hot path.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Codec } from './codec.js';
import { jsonCodec } from './codec.js';
import { MeshError } from './errors.js';
import { Failures } from './failures.js';
import { timerDelay } from './timers.js';

export type Metadata = Record<string, string>;

/**
 * Add one entry received from a peer. Keys are the peer's to choose, and `md["__proto__"] = v`
 * would set the object's prototype (or do nothing) instead of adding an entry; every transport
 * reads metadata off the wire through this.
 */
export function setMetadata(md: Metadata, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(md, key, { value, enumerable: true, writable: true, configurable: true });
  else md[key] = value;
}

/**
 * A caller's authenticated workload identity, `spiffe://<trustDomain>/<name>`, proven by its
 * certificate on a mutual-TLS mesh link (see docs/SECURITY.md). Absent where nothing proved one:
 * plaintext links and transports that carry no per-call identity.
 */
export interface CallerIdentity {
  readonly trustDomain: string;
  readonly name: string;
  /** The whole URI, e.g. spiffe://prod.example.com/gateway. */
  readonly uri: string;
}

/** Who made the call being served, when the transport knows. */
export interface CallerInfo {
  /** The calling node's name and instance id, as it introduced itself. */
  readonly name: string;
  readonly id: string;
  /** What its certificate proved, on an authenticated link; undefined otherwise. */
  readonly identity?: CallerIdentity | undefined;
}

export interface CallContextInit {
  namespace?: string;
  service: string;
  method: string;
  /** Absolute deadline, epoch milliseconds. */
  deadline?: number;
  metadata?: Metadata;
  /** The node that made the call, and its proven identity, when known. */
  caller?: CallerInfo | undefined;
  codec?: Codec;
  /** A signal from the transport (e.g. the caller cancelled); linked into `signal`. */
  transportSignal?: AbortSignal;
}

export class CallContext {
  readonly namespace: string;
  readonly service: string;
  readonly method: string;
  readonly deadline: number | undefined;
  readonly metadata: Metadata;
  readonly caller: CallerInfo | undefined;
  readonly codec: Codec;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #abortReason: MeshError | undefined;
  #transportSignal: AbortSignal | undefined;

  constructor(init: CallContextInit) {
    this.namespace = init.namespace ?? 'default';
    this.service = init.service;
    this.method = init.method;
    this.deadline = init.deadline;
    this.metadata = init.metadata ?? {};
    this.caller = init.caller;
    this.codec = init.codec ?? jsonCodec;
    this.#transportSignal = init.transportSignal;
  }

  /** Milliseconds left before the deadline (Infinity without one; never negative). */
  get remaining(): number {
    return this.deadline === undefined ? Infinity : Math.max(0, this.deadline - Date.now());
  }

  /** Fires when the caller cancels, the deadline passes, or the node stops the call. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      const controller = new AbortController();
      this.#controller = controller;
      if (this.#abortReason) {
        controller.abort(this.#abortReason);
      } else {
        if (this.deadline !== undefined) {
          this.#timer = setTimeout(() => this.cancel(Failures.deadlineExceeded()), timerDelay(this.remaining));
          this.#timer.unref();
        }
        const ts = this.#transportSignal;
        if (ts) {
          if (ts.aborted) this.cancel(cancelledBy(ts.reason));
          else ts.addEventListener('abort', () => this.cancel(cancelledBy(ts.reason)), { once: true });
        }
      }
    }
    return this.#controller.signal;
  }

  get cancelled(): boolean {
    return this.#abortReason !== undefined || (this.deadline !== undefined && Date.now() >= this.deadline);
  }

  /** Abort the call (transport saw CANCEL, deadline, shutdown). Safe to call more than once. */
  cancel(reason: MeshError = Failures.cancelledByCaller()): void {
    if (this.#abortReason) return;
    this.#abortReason = reason;
    if (this.#timer) clearTimeout(this.#timer);
    this.#controller?.abort(reason);
  }

  /**
   * The caller gave up on this call (a CANCEL frame, a gRPC cancel). Its own deadline timer and
   * ours fire a few ms apart, so near the deadline that is DEADLINE_EXCEEDED, else CANCELLED.
   */
  cancelByCaller(): void {
    this.cancel(this.remaining <= CALLER_DEADLINE_SLACK_MS ? Failures.deadlineExceeded() : Failures.cancelledByCaller());
  }

  /** Release the deadline timer once the call has finished. */
  finish(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** What a transport's (or a caller's) abort means here: its MeshError, else CANCELLED. */
function cancelledBy(reason: unknown): MeshError {
  return reason instanceof MeshError ? reason : Failures.cancelledByCaller(undefined, { cause: reason });
}

const CALLER_DEADLINE_SLACK_MS = 20;

const storage = new AsyncLocalStorage<CallContext>();

/** The context of the call being served, or undefined outside a handler. */
export function currentContext(): CallContext | undefined {
  return storage.getStore();
}

export function runWithContext<T>(ctx: CallContext, fn: () => T): T {
  return storage.run(ctx, fn);
}
