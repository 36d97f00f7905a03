/**
 * Byte streams over NATS, for NATS-as-mesh: what the built-in mesh does with STREAM and DATA
 * frames (the gateway forwarding HTTP to a published handler), done with plain NATS messages.
 *
 * The opener subscribes an inbox and publishes `open` (the stream head as body, deadline and
 * metadata in headers) to the service's stream subject, a queue group, so one instance takes it.
 * That instance subscribes its own inbox and answers `accept` with it as the reply subject; from
 * then on each side sends to the other's inbox: the request body as `data` then `end` one way,
 * the reply `head`, `data` and `end` (or an `error`) the other. Flow control is credit, as on the
 * built-in mesh: a sender has at most STREAM_WINDOW bytes unacknowledged, and a receiver grants
 * `credit` as its reader consumes. Both sides end at the deadline, and either side's `cancel` /
 * `error` ends the other: no stream outlives its deadline, no buffer grows past two windows.
 */
import { Readable } from 'node:stream';
import { createInbox, headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { deadlineOf, type CallOptions } from '../../core/caller.js';
import { CallContext } from '../../core/context.js';
import { MeshError } from '../../core/errors.js';
import type { OpenedStream, StreamEndpoint, StreamReply } from '../../core/stream.js';
import { Failures } from '../../core/failures.js';
import { timerDelay } from '../../core/timers.js';
import { errorOfReply, errorReply, readRequestHeaders, requestHeaders } from './wire.js';

/** The message kind of a stream message. */
export const H_STREAM = 'meshrpc-stream';
/** Bytes granted by a `credit` message. */
export const H_CREDIT = 'meshrpc-credit';
/** Unacknowledged bytes a sender may have in flight per direction (as the built-in mesh's window). */
export const STREAM_WINDOW = 262_144;
/** Largest `data` message body (well under NATS's default 1 MiB max_payload). */
export const STREAM_CHUNK = 65_536;


type Kind = 'open' | 'accept' | 'head' | 'data' | 'end' | 'credit' | 'error' | 'cancel';

function kindHeaders(kind: Kind, extra?: MsgHdrs): MsgHdrs {
  const h = extra ?? natsHeaders();
  h.set(H_STREAM, kind);
  return h;
}

export function isStreamOpen(msg: Msg): boolean {
  return msg.headers?.get(H_STREAM) === 'open';
}

function inboxOf(nc: NatsConnection): string {
  return createInbox((nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix);
}

/** Sends body bytes to `send` within the credit the receiver granted. */
class Outflow {
  #credit = STREAM_WINDOW;
  #waiters: Array<() => void> = [];
  #failed: Error | undefined;
  #done = false;
  readonly #send: (chunk: Uint8Array) => void;

  constructor(send: (chunk: Uint8Array) => void) {
    this.#send = send;
  }

  async write(chunk: Uint8Array): Promise<void> {
    for (let at = 0; at < chunk.length; at += STREAM_CHUNK) {
      const slice = chunk.subarray(at, Math.min(chunk.length, at + STREAM_CHUNK));
      while (this.#credit < slice.length && !this.#failed && !this.#done) await new Promise<void>((r) => this.#waiters.push(r));
      if (this.#failed) throw this.#failed;
      if (this.#done) return; // the other side finished: nobody reads this any more
      this.#credit -= slice.length;
      this.#send(slice);
    }
  }

  grant(n: number): void {
    this.#credit += n;
    this.#wake();
  }

  fail(err: Error): void {
    this.#failed ??= err;
    this.#wake();
  }

  /** The stream ended well: pending and later writes resolve without sending. */
  finish(): void {
    this.#done = true;
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

/** Received body bytes as a Readable; credit goes back as the reader consumes them. */
class Inflow {
  readonly readable: Readable;
  #ungranted = 0;
  readonly #grant: (n: number) => void;

  constructor(grant: (n: number) => void) {
    this.#grant = grant;
    this.readable = new Readable({ highWaterMark: STREAM_WINDOW, read: () => this.#flush() });
    // A stream can fail before anyone holds the body (no reply head yet): that must not be an
    // unhandled 'error'. Readers still see the error (for await, pipe, their own listener).
    this.readable.on('error', () => {});
  }

  push(chunk: Uint8Array): void {
    if (this.readable.destroyed) return;
    this.#ungranted += chunk.length;
    // Below the high-water mark: the reader keeps up, so grant in batches of a quarter window;
    // above it, read() grants once the reader has caught up.
    if (this.readable.push(Buffer.from(chunk)) && this.#ungranted >= STREAM_WINDOW / 4) this.#flush();
  }

  end(): void {
    if (!this.readable.destroyed) this.readable.push(null);
  }

  fail(err: Error): void {
    if (!this.readable.destroyed && !this.readable.readableEnded) this.readable.destroy(err);
  }

  #flush(): void {
    if (this.#ungranted === 0) return;
    const n = this.#ungranted;
    this.#ungranted = 0;
    this.#grant(n);
  }
}

function creditOf(msg: Msg): number {
  const n = Number(msg.headers?.get(H_CREDIT));
  return Number.isSafeInteger(n) && n > 0 && n <= STREAM_WINDOW ? n : 0;
}

function send(nc: NatsConnection, subject: string, kind: Kind, data?: Uint8Array, h?: MsgHdrs, reply?: string): void {
  if (nc.isClosed()) return;
  try {
    nc.publish(subject, data ?? new Uint8Array(0), { headers: kindHeaders(kind, h), reply });
  } catch {
    // disconnected with a full buffer: the deadline ends the stream on both sides
  }
}

function sendError(nc: NatsConnection, subject: string, err: unknown): void {
  const { headers, body } = errorReply(err);
  send(nc, subject, 'error', body, headers);
}

function sendCredit(nc: NatsConnection, subject: string, n: number): void {
  const h = natsHeaders();
  h.set(H_CREDIT, String(n));
  send(nc, subject, 'credit', undefined, h);
}

/** Open a byte stream to whoever subscribes `subject` (a queue group, or one instance's subject). */
export function openNatsStream(nc: NatsConnection, subject: string, head: Uint8Array, options: CallOptions | undefined, defaultTimeout: number): OpenedStream {
  const now = Date.now();
  const deadline = deadlineOf(options, now) ?? now + defaultTimeout;
  const failed = (err: MeshError): OpenedStream => {
    const reply = Promise.reject(err);
    reply.catch(() => {});
    return { write: () => Promise.reject(err), end: () => Promise.reject(err), reply };
  };
  if (nc.isClosed() || nc.isDraining()) return failed(Failures.brokerClosed({ broker: 'NATS' }));
  if (options?.signal?.aborted) return failed(Failures.cancelledBeforeStart());
  if (deadline <= now) return failed(Failures.deadlineBeforeStart());

  let peer: string | undefined; // the instance's inbox, once it accepted
  let settled = false;
  let resolveAccept!: (peer: string) => void;
  let rejectAccept!: (err: Error) => void;
  const accepted = new Promise<string>((res, rej) => ((resolveAccept = res), (rejectAccept = rej)));
  accepted.catch(() => {});
  let resolveReply!: (r: { head: Uint8Array; body: Readable }) => void;
  let rejectReply!: (err: Error) => void;
  const reply = new Promise<{ head: Uint8Array; body: Readable }>((res, rej) => ((resolveReply = res), (rejectReply = rej)));
  reply.catch(() => {});

  const outflow = new Outflow((chunk) => send(nc, peer!, 'data', chunk));
  const inflow = new Inflow((n) => peer && sendCredit(nc, peer, n));
  // A reader that lets go of the reply body early (the HTTP client went away) cancels the stream.
  inflow.readable.once('close', () => fail(Failures.streamReaderGone(), true));
  const inbox = inboxOf(nc);
  const cleanup = () => {
    settled = true;
    clearTimeout(timer);
    options?.signal?.removeEventListener('abort', onAbort);
    sub.unsubscribe();
  };
  const fail = (err: Error, tellPeer: boolean) => {
    if (settled) return;
    if (tellPeer && peer) sendError(nc, peer, err);
    cleanup();
    rejectAccept(err);
    rejectReply(err);
    outflow.fail(err);
    inflow.fail(err);
  };
  const onAbort = () => {
    const reason: unknown = options?.signal?.reason;
    fail(reason instanceof MeshError ? reason : Failures.cancelledByCaller(undefined, { cause: reason }), true);
  };
  options?.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => fail(Failures.deadlineExceeded({ target: subject }), true), timerDelay(deadline - now));
  timer.unref();

  const sub: Subscription = nc.subscribe(inbox, {
    callback: (err, msg) => {
      if (err || settled) return;
      if (msg.headers?.code === 503) {
        fail(Failures.noResponders({ subject }), false);
        return;
      }
      switch (msg.headers?.get(H_STREAM) as Kind | undefined) {
        case 'accept':
          if (peer === undefined && msg.reply) {
            peer = msg.reply;
            resolveAccept(peer);
          }
          break;
        case 'head':
          resolveReply({ head: msg.data, body: inflow.readable });
          break;
        case 'data':
          inflow.push(msg.data);
          break;
        case 'end':
          inflow.end();
          cleanup();
          outflow.finish();
          break;
        case 'credit':
          outflow.grant(creditOf(msg));
          break;
        case 'error':
        case 'cancel':
          fail(errorOfReply(msg.headers, msg.data) ?? Failures.cancelledByServer(), false);
          break;
      }
    },
  });
  send(nc, subject, 'open', head, requestHeaders(deadline - Date.now(), options?.codec ?? 'json', options?.metadata), inbox);

  return {
    async write(chunk) {
      await accepted;
      await outflow.write(chunk);
    },
    async end() {
      const to = await accepted;
      if (!settled) send(nc, to, 'end');
    },
    reply,
  };
}

/**
 * Serve one `open` message: run the stream endpoint, with the body and reply flowing as above.
 * An open without `meshrpc-timeout` (not from meshrpc) gets `defaultTimeout`: every stream ends.
 */
export function serveNatsStream(
  nc: NatsConnection,
  msg: Msg,
  target: { namespace: string; service: string; method: string },
  endpoint: StreamEndpoint | undefined,
  run: <T>(fn: () => Promise<T>) => Promise<T>,
  defaultTimeout: number,
): void {
  const opener = msg.reply;
  if (!opener) return;
  if (!endpoint) {
    sendError(nc, opener, Failures.noStreamEndpoint({ service: target.service }, { notProcessed: true }));
    return;
  }
  const head = readRequestHeaders(msg.headers);
  if (head.deadline !== undefined && head.deadline <= Date.now()) {
    sendError(nc, opener, Failures.deadlineOnArrival());
    return;
  }
  const abort = new AbortController();
  const deadline = head.deadline ?? Date.now() + defaultTimeout;
  const ctx = new CallContext({ ...target, deadline, metadata: head.metadata, codec: head.codec, transportSignal: abort.signal });
  let done = false;
  const outflow = new Outflow((chunk) => send(nc, opener, 'data', chunk));
  const inflow = new Inflow((n) => sendCredit(nc, opener, n));
  const stop = (err: MeshError, tellOpener: boolean) => {
    if (done) return;
    if (tellOpener) sendError(nc, opener, err);
    finish();
    abort.abort(err);
    outflow.fail(err);
    inflow.fail(err);
  };
  const finish = () => {
    done = true;
    clearTimeout(timer);
    sub.unsubscribe();
    ctx.finish();
  };
  // Whatever the handler does, this instance lets go of the stream at its deadline.
  const timer = setTimeout(() => stop(Failures.deadlineExceeded(), true), timerDelay(ctx.remaining));
  timer.unref();
  const sub = nc.subscribe(inboxOf(nc), {
    callback: (err, m) => {
      if (err || done) return;
      switch (m.headers?.get(H_STREAM) as Kind | undefined) {
        case 'data':
          inflow.push(m.data);
          break;
        case 'end':
          inflow.end();
          break;
        case 'credit':
          outflow.grant(creditOf(m));
          break;
        case 'error':
        case 'cancel':
          stop(errorOfReply(m.headers, m.data) ?? Failures.cancelledByCaller(), false);
          break;
      }
    },
  });
  send(nc, opener, 'accept', undefined, undefined, sub.getSubject());

  run(async () => {
    const r: StreamReply = await endpoint.handleStream(ctx, msg.data, inflow.readable);
    if (done) return;
    send(nc, opener, 'head', r.head);
    if (r.body) for await (const chunk of r.body) {
      if (done) return;
      await outflow.write(chunk);
    }
    if (!done) send(nc, opener, 'end');
    finish();
  }).catch((err) => stop(MeshError.from(err), true));
}

