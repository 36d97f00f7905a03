/**
 * Request/reply multiplexed over one inbox subscription per connection, as nats.js's own
 * `request()` does, without its per-call costs: nats.js builds an Error (with a stack trace)
 * for every request it completes, which took about a fifth of a busy client's CPU. Replies
 * arrive on `<inbox>.<token>`; a pending call is settled by its reply, its deadline, its abort
 * signal or the connection closing, whichever comes first, and is then forgotten.
 */
import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { Failures } from '../../core/failures.js';
import { timerDelay } from '../../core/timers.js';

interface Pending {
  subject: string;
  resolve(msg: Msg): void;
  reject(err: unknown): void;
  timer: ReturnType<typeof setTimeout>;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const requesters = new WeakMap<NatsConnection, NatsRequester>();

export class NatsRequester {
  readonly #nc: NatsConnection;
  readonly #pending = new Map<string, Pending>();
  #inbox: string | undefined;
  #next = 0;

  /** The requester of a connection (one inbox subscription each). */
  static of(nc: NatsConnection): NatsRequester {
    let r = requesters.get(nc);
    if (!r) {
      r = new NatsRequester(nc);
      requesters.set(nc, r);
    }
    return r;
  }

  private constructor(nc: NatsConnection) {
    this.#nc = nc;
    void nc.closed().then(() => this.#failAll());
  }

  /**
   * Publish `payload` to `subject` and resolve with the reply. Failures are MeshErrors, except
   * that a publish the NATS client refuses (closed, bad subject, over max_payload with headers)
   * rejects with the client's own error, for mapNatsError to name.
   */
  request(subject: string, payload: Uint8Array, headers: MsgHdrs, timeoutMs: number, signal?: AbortSignal): Promise<Msg> {
    const inbox = this.#inbox ?? this.#subscribe();
    const token = (this.#next++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      const pending: Pending = {
        subject,
        resolve,
        reject,
        timer: setTimeout(() => this.#settle(token, Failures.deadlineExceeded({ target: subject })), timerDelay(timeoutMs)),
        signal,
        onAbort: undefined,
      };
      if (signal) {
        pending.onAbort = () => this.#settle(token, Failures.cancelledByCaller(undefined, { cause: signal.reason }));
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.#pending.set(token, pending);
      try {
        this.#nc.publish(subject, payload, { reply: inbox + token, headers });
      } catch (err) {
        this.#settle(token, err);
      }
    });
  }

  #subscribe(): string {
    const prefix = (this.#nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
    const inbox = `${createInbox(prefix)}.`;
    this.#nc.subscribe(`${inbox}*`, {
      callback: (err, msg) => {
        if (err) {
          this.#failAll(`the reply subscription failed: ${err.message}`);
          return;
        }
        const token = msg.subject.slice(inbox.length);
        // A 503 status with no body is the server saying nobody subscribes to the subject.
        if (msg.data.length === 0 && msg.headers?.code === 503) {
          const subject = this.#pending.get(token)?.subject ?? msg.subject;
          this.#settle(token, Failures.noResponders({ subject }));
        } else {
          this.#settle(token, undefined, msg);
        }
      },
    });
    this.#inbox = inbox;
    return inbox;
  }

  /** Settle a pending call: with `msg` when it is given, else with `err`. */
  #settle(token: string, err: unknown, msg?: Msg): void {
    const p = this.#pending.get(token);
    if (!p) return; // late reply after a deadline or cancel
    this.#pending.delete(token);
    clearTimeout(p.timer);
    if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort);
    if (msg) p.resolve(msg);
    else p.reject(err);
  }

  #failAll(why?: string): void {
    for (const token of [...this.#pending.keys()]) this.#settle(token, Failures.brokerLost({ broker: 'NATS', why }));
    this.#inbox = undefined;
  }
}
