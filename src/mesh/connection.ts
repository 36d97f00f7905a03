/**
 * One connection to a peer node: handshake, many concurrent calls multiplexed by stream id,
 * graceful GOAWAY, and byte streams. This is the thin layer around the socket; frame encoding
 * lives in wire/, routing and membership in mesh.ts, write batching in outbox.ts, liveness in
 * heartbeat.ts, the table of calls waited on in calls.ts, and served calls go through the node's
 * inbound path (pipeline/inbound.ts), which checks expiry and counts them for drain.
 *
 * Why the choices:
 * - When the link dies, every call waiting on it fails at once with UNAVAILABLE: nothing waits
 *   for a timeout to find out.
 * - Memory per link is bounded. Before HELLO only frames up to HANDSHAKE_FRAME_LIMIT are taken
 *   and the handshake has a deadline. Bytes queued to a peer that does not read them stop this
 *   node from reading that peer (socket paused: it gets nothing more served until they drain),
 *   and at `linkBufferLimit`, or when a paused link makes no write progress for a heartbeat
 *   timeout (both sides waiting on each other), the link is closed with a logged reason. Requests
 *   of one read start in slices (#run), so backpressure acts after a slice, not a whole read.
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { codecById } from '../core/codec.js';
import { CallContext, type CallerInfo } from '../core/context.js';
import { MeshError } from '../core/errors.js';
import { Failures } from '../core/failures.js';
import type { StreamReply } from '../core/stream.js';
import type { Reply } from '../pipeline/inbound.js';
import type { PeerIdentity } from '../security/link.js';
import { encodeFrame, Flags, FrameType, HEADER_SIZE, type Frame } from './wire/frame.js';
import { FrameDecoder, ProtocolError } from './wire/decoder.js';
import { CallTable } from './calls.js';
import { Inflow, Outflow } from './flow.js';
import { Heartbeat } from './heartbeat.js';
import { Outbox } from './outbox.js';
import {
  decodeError,
  decodeJson,
  decodeRequest,
  encodeError,
  encodeJson,
  encodeRequest,
  isHello,
  type Gossip,
  type Hello,
  type RequestHead,
} from './wire/messages.js';

/** What the mesh does with what arrives on a connection. */
export interface ConnectionHost {
  /** The HELLO this node sends (built fresh: services may have changed). */
  hello(): Hello;
  /** The peer introduced itself; return false to refuse it (self, tag mismatch, ...). */
  onHello(conn: Connection, hello: Hello): boolean;
  onGossip(conn: Connection, gossip: Gossip): void;
  /** The peer announced it is draining: route nothing new to it. */
  onGoaway(conn: Connection): void;
  onClose(conn: Connection, err: MeshError | undefined): void;
  /** Serve a call through the node's inbound path; `reply` gets its answer once. */
  serve(ctx: CallContext, payload: Uint8Array, reply: Reply<Uint8Array>): void;
  /** Serve a byte stream; `reply` gets the response head and body (and returns while the body still goes out). */
  serveStream(ctx: CallContext, head: Uint8Array, body: Readable, reply: Reply<StreamReply>): void;
  log(level: 'debug' | 'info' | 'warn', msg: string, extra?: object): void;
}

export type { StreamReply } from '../core/stream.js';

export interface ConnectionOptions {
  maxFrameSize: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  suspectAfter: number;
  handshakeTimeout: number;
  linkBufferHigh: number;
  linkBufferLimit: number;
}

/** Largest frame body taken before the peer's HELLO (a HELLO is a few hundred bytes per service). */
export const HANDSHAKE_FRAME_LIMIT = 64 * 1024;

/** Requests of one read started per turn of the event loop (see Connection.#run). */
const REQUESTS_PER_TURN = 128;

type State = 'handshake' | 'open' | 'closed';

const noop = () => {};

export class Connection {
  readonly socket: Socket;
  /** True when this node dialed the peer. */
  readonly outbound: boolean;
  peer: Hello | undefined;
  /** What the peer's certificate proved (mutual TLS), or undefined on a plaintext link. */
  readonly identity: PeerIdentity;
  /** Who calls served on this link come from (set by the handshake). */
  #caller: CallerInfo | undefined;
  /** The address this connection was dialed to (outbound only). */
  readonly dialedAddr: string | undefined;
  /** The peer sent GOAWAY: it finishes what it has, and takes nothing new. */
  peerDraining = false;

  #state: State = 'handshake';
  readonly #host: ConnectionHost;
  readonly #opts: ConnectionOptions;
  readonly #decoder: FrameDecoder;
  #nextStreamId: number;
  readonly #pending = new CallTable((streamId, err) => this.#abandon(streamId, err));
  readonly #served = new Map<number, { ctx: CallContext; body?: Inflow }>();
  /** Stream bodies this side is sending (request bodies it opened, reply bodies it serves). */
  readonly #outflows = new Map<number, Outflow>();
  readonly #heartbeat: Heartbeat;
  readonly #outbox: Outbox;
  #goawayAcked: (() => void) | undefined;
  #handshakeTimer: NodeJS.Timeout | undefined;
  /** Reading is paused until what is queued to the peer drained; the timer watches write progress. */
  #paused: { timer: NodeJS.Timeout; written: number } | undefined;
  /** Frames of a read not handled yet (see #run); the socket is paused meanwhile. */
  #deferred: { frames: Frame[]; at: number } | undefined;

  constructor(socket: Socket, outbound: boolean, host: ConnectionHost, opts: ConnectionOptions, identity: PeerIdentity, dialedAddr?: string) {
    this.socket = socket;
    this.outbound = outbound;
    this.identity = identity;
    this.dialedAddr = dialedAddr;
    this.#host = host;
    this.#opts = opts;
    this.#decoder = new FrameDecoder(opts.maxFrameSize);
    // Dialers use odd stream ids and acceptors even ones, so both sides can start calls.
    this.#nextStreamId = outbound ? 1 : 2;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(Failures.linkLost({ peer: this.peerLabel, why: err.message }, { cause: err })));
    socket.on('close', () => this.#fail(undefined));
    this.#outbox = new Outbox(socket, opts.linkBufferHigh, () => this.#backlogged());
    const pending = this.#pending;
    this.#heartbeat = new Heartbeat(
      { interval: opts.heartbeatInterval, timeout: opts.heartbeatTimeout, suspectAfter: opts.suspectAfter },
      {
        get outstanding() {
          return pending.size;
        },
        ping: () => this.#send(encodeFrame(FrameType.PING, 0, 0)),
        dead: (idle) => {
          this.#host.log('warn', 'peer stopped answering; closing', { peer: this.peerLabel, idleMs: idle });
          this.close(Failures.peerSilent({ peer: this.peerLabel, idleMs: idle }));
        },
      },
    );
    this.#handshakeTimer = setTimeout(() => {
      this.#host.log('info', 'closing a link that did not complete its handshake in time', { remote: socket.remoteAddress, timeoutMs: opts.handshakeTimeout });
      this.close(Failures.linkLost({ peer: this.peerLabel, why: `no HELLO within ${opts.handshakeTimeout} ms` }));
    }, opts.handshakeTimeout);
    this.#handshakeTimer.unref();
    this.#send(encodeFrame(FrameType.HELLO, 0, 0, encodeJson(host.hello())));
  }

  /** A getter, so that checks after a callback are not narrowed away by the compiler. */
  get #closed(): boolean {
    return this.#state === 'closed';
  }

  /** Open and not draining: new calls may be routed here. */
  get routable(): boolean {
    return this.#state === 'open' && !this.peerDraining;
  }

  /**
   * Silent with calls outstanding (see heartbeat.ts), or not being read by this node
   * (backpressure): route no new calls here until it is heard again. It stays linked.
   */
  get suspect(): boolean {
    return this.#heartbeat.suspect || this.#paused !== undefined;
  }

  /** Calls this node is waiting on over this connection (for least-loaded balancing). */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Calls the peer is waiting on from this node. */
  get servedCount(): number {
    return this.#served.size;
  }

  get peerLabel(): string {
    return this.peer ? `${this.peer.name}/${this.peer.id.slice(0, 8)}` : (this.socket.remoteAddress ?? 'peer');
  }

  /** Send a call; `names` is the cached encoding of the target's names (see encodeNames). */
  request(head: RequestHead, codecId: number, payload: Uint8Array, signal?: AbortSignal, names?: Buffer): Promise<Buffer> {
    if (this.#state !== 'open') {
      return Promise.reject(Failures.linkClosed({ peer: this.peerLabel }));
    }
    const limit = this.peer!.maxFrame;
    const frame = encodeRequest(0, head, codecId, payload, 0, names);
    const size = frame.length - HEADER_SIZE;
    if (size > limit) {
      return Promise.reject(
        Failures.requestTooLarge({ size, limit }, { details: { size, limit } })
      );
    }
    const streamId = this.#allocStreamId();
    frame.writeUInt32BE(streamId, 6);
    this.#heartbeat.callStarted();
    const promise = new Promise<Buffer>((resolve, reject) => this.#pending.track(streamId, head.timeout, signal, resolve, reject));
    this.#send(frame);
    return promise;
  }

  /**
   * Open a byte stream: `head` is sent with the request; write the body to the returned
   * `body` sink; `reply` resolves with the response head and a Readable of the response body.
   */
  openStream(head: RequestHead, headBytes: Uint8Array, signal?: AbortSignal): { write(chunk: Uint8Array): Promise<void>; end(): Promise<void>; reply: Promise<{ head: Buffer; body: Readable }> } {
    if (this.#state !== 'open') {
      const err = Failures.linkClosed({ peer: this.peerLabel });
      return { write: () => Promise.reject(err), end: () => Promise.reject(err), reply: Promise.reject(err) };
    }
    const streamId = this.#allocStreamId();
    this.#heartbeat.callStarted();
    const body = this.#inflow(streamId);
    // Until the reply head hands it out, nobody can listen on the body: a deadline or cancel
    // before then rejects `reply` and must not also crash the process as an unhandled 'error'.
    body.readable.on('error', noop);
    const reply = new Promise<{ head: Buffer; body: Readable }>((resolve, reject) => {
      this.#pending.track(streamId, head.timeout, signal, (h) => resolve({ head: h, body: body.readable }), reject).stream = body;
    });
    this.#send(encodeRequest(streamId, head, 0, headBytes, Flags.STREAM));
    const out = this.#outflow(streamId);
    return {
      write: (chunk) => out.write(chunk),
      end: () => out.end().finally(() => this.#outflows.delete(streamId)),
      reply,
    };
  }

  /** The sending half of stream `streamId`, registered so WINDOW frames reach it. */
  #outflow(streamId: number): Outflow {
    const out = new Outflow(
      (chunk, end) => this.#send(encodeFrame(FrameType.DATA, end ? Flags.END : 0, streamId, chunk)),
      () => this.peer?.maxFrame ?? this.#opts.maxFrameSize,
    );
    this.#outflows.set(streamId, out);
    return out;
  }

  /** The receiving half of stream `streamId`: consumption grants the sender more window. */
  #inflow(streamId: number): Inflow {
    return new Inflow((bytes) => {
      const body = Buffer.allocUnsafe(4);
      body.writeUInt32BE(bytes, 0);
      this.#send(encodeFrame(FrameType.WINDOW, 0, streamId, body));
    });
  }

  /** A stream is over on our side: its sender stops, with `reason` for writes still queued. */
  #endOutflow(streamId: number, reason: MeshError): void {
    this.#outflows.get(streamId)?.close(reason);
    this.#outflows.delete(streamId);
  }

  /** Send a GOSSIP body (encoded once by the sender for every link it goes to). */
  sendGossip(body: Buffer): void {
    if (this.#state === 'open') this.#send(encodeFrame(FrameType.GOSSIP, 0, 0, body));
  }

  /** Tell the peer we are draining; resolves when it acknowledged (it will route nothing new here). */
  goaway(): Promise<void> {
    if (this.#state !== 'open') return Promise.resolve();
    return new Promise((resolve) => {
      this.#goawayAcked = resolve;
      this.#send(encodeFrame(FrameType.GOAWAY, 0, 0));
    });
  }

  /** Close the connection; calls still waiting fail with UNAVAILABLE. */
  close(reason?: MeshError): void {
    if (this.#state === 'closed') return;
    this.#outbox.flush(); // replies gathered this iteration still go out before the end
    this.#fail(reason, true);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  #allocStreamId(): number {
    const id = this.#nextStreamId;
    this.#nextStreamId = id >= 0xfffffffd ? (this.outbound ? 1 : 2) : id + 2;
    return id;
  }

  /** The caller gave up (deadline, abort): fail locally and tell the peer to stop working on it. */
  #abandon(streamId: number, err: MeshError): void {
    const call = this.#pending.settle(streamId);
    if (!call) return;
    call.stream?.readable.destroy(err);
    this.#endOutflow(streamId, err);
    call.reject(err);
    this.#send(encodeFrame(FrameType.CANCEL, 0, streamId, encodeError(err)));
  }

  #send(buf: Buffer): boolean {
    return this.#outbox.send(buf);
  }

  /** More than linkBufferHigh bytes wait for the peer to read them (called by the outbox). */
  #backlogged(): void {
    if (this.#state === 'closed') return;
    const queued = this.socket.writableLength;
    if (queued >= this.#opts.linkBufferLimit) {
      this.#host.log('warn', 'closing a link whose peer does not read what it is sent', { peer: this.peerLabel, queuedBytes: queued, limit: this.#opts.linkBufferLimit });
      this.close(Failures.linkLost({ peer: this.peerLabel, why: `${queued} bytes queued to a peer that does not read them (limit ${this.#opts.linkBufferLimit})` }));
      return;
    }
    if (this.#paused) return;
    this.socket.pause();
    this.#heartbeat.hold(true);
    this.#paused = { timer: setInterval(this.#checkStall, this.#opts.heartbeatTimeout), written: this.socket.bytesWritten };
    this.#paused.timer.unref();
    this.socket.once('drain', this.#resume);
    this.#host.log('debug', 'peer reads slowly: not reading it until its queue drains', { peer: this.peerLabel, queuedBytes: queued });
  }

  readonly #resume = (): void => {
    if (!this.#paused) return;
    clearInterval(this.#paused.timer);
    this.#paused = undefined;
    this.#heartbeat.hold(false);
    if (this.#closed) return;
    if (this.#deferred) this.#continue();
    else this.socket.resume();
  };

  /** Paused, and the peer took none of our bytes for a whole heartbeat timeout: it reads nothing. */
  readonly #checkStall = (): void => {
    const p = this.#paused;
    if (!p) return;
    const written = this.socket.bytesWritten;
    if (written > p.written) {
      p.written = written;
      return;
    }
    const queued = this.socket.writableLength;
    this.#host.log('warn', 'closing a link whose peer read nothing for the heartbeat timeout', { peer: this.peerLabel, queuedBytes: queued, timeoutMs: this.#opts.heartbeatTimeout });
    this.close(Failures.linkLost({ peer: this.peerLabel, why: `the peer read none of ${queued} queued bytes in ${this.#opts.heartbeatTimeout} ms` }));
  };

  #onData(chunk: Buffer): void {
    if (this.#closed) return; // ending: what still arrives is dropped, not gathered
    this.#heartbeat.received();
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      this.#protocolError(err as Error);
      return;
    }
    this.#run(frames, 0);
  }

  /**
   * Handle `frames` from index `at`. At most REQUESTS_PER_TURN requests start per turn of the
   * event loop, and none while backlogged: the rest wait (the socket paused, so order holds)
   * for the next turn, by when their predecessors' replies went out and a backlog paused us. So
   * one read of a thousand requests cannot run a thousand handlers before backpressure acts, nor
   * hold the loop from everyone else.
   */
  #run(frames: Frame[], at: number): void {
    let started = 0;
    for (let i = at; i < frames.length; i++) {
      if (this.#closed) return;
      const frame = frames[i];
      if (frame.type === FrameType.REQUEST && (this.#paused || ++started > REQUESTS_PER_TURN)) {
        this.#deferred = { frames, at: i };
        this.socket.pause();
        if (!this.#paused) setImmediate(this.#continue);
        return;
      }
      try {
        this.#onFrame(frame);
      } catch (err) {
        this.#protocolError(err as Error);
        return;
      }
    }
    // Before HELLO only a small frame may be gathered (checked here, after the frames of this
    // chunk: a HELLO may be followed at once by a large request, which its HELLO allowed).
    if (this.#state === 'handshake' && this.#decoder.gathering - HEADER_SIZE > HANDSHAKE_FRAME_LIMIT) {
      this.#protocolError(new ProtocolError(`frame of ${this.#decoder.gathering - HEADER_SIZE} bytes before HELLO exceeds the limit of ${HANDSHAKE_FRAME_LIMIT}`));
    }
  }

  /** The next turn for deferred frames (unless a backlog paused us: then its drain continues). */
  readonly #continue = (): void => {
    const d = this.#deferred;
    if (!d || this.#closed || this.#paused) return;
    this.#deferred = undefined;
    this.#run(d.frames, d.at);
    if (!this.#deferred && !this.#paused && !this.#closed) this.socket.resume();
  };

  #protocolError(err: Error): void {
    const pe = err instanceof ProtocolError ? err : new ProtocolError(err.message);
    this.#host.log('warn', 'closing connection after a protocol error', { peer: this.peerLabel, error: pe.message });
    this.close(Failures.linkLost({ peer: this.peerLabel, why: pe.message }, { cause: pe }));
  }

  #onFrame(f: Frame): void {
    if (this.#state === 'handshake') {
      if (f.type !== FrameType.HELLO) throw new ProtocolError(`expected HELLO, got frame type ${f.type}`);
      if (f.body.length > HANDSHAKE_FRAME_LIMIT) throw new ProtocolError(`HELLO of ${f.body.length} bytes exceeds the limit of ${HANDSHAKE_FRAME_LIMIT}`);
      const hello = decodeJson<unknown>(f.body, 'HELLO');
      if (!isHello(hello)) throw new ProtocolError('HELLO is missing fields or speaks another protocol version');
      this.peer = hello;
      const id = this.identity;
      this.#caller = { name: hello.name, id: hello.id, identity: id && { trustDomain: id.trustDomain, name: id.name, uri: id.uri } };
      this.#state = 'open';
      clearTimeout(this.#handshakeTimer);
      if (!this.#host.onHello(this, hello)) this.close();
      return;
    }
    switch (f.type) {
      case FrameType.REQUEST:
        return this.#onRequest(f);
      case FrameType.RESPONSE:
        return this.#onResponse(f);
      case FrameType.DATA:
        return this.#onStreamData(f);
      case FrameType.CANCEL:
      case FrameType.RESET:
        return this.#onCancel(f);
      case FrameType.WINDOW:
        if (f.body.length !== 4) throw new ProtocolError('WINDOW body must be 4 bytes');
        this.#outflows.get(f.streamId)?.grant(f.body.readUInt32BE(0));
        return;
      case FrameType.PING:
        this.#send(encodeFrame(FrameType.PONG, 0, 0));
        return;
      case FrameType.PONG:
        this.#heartbeat.pong();
        return;
      case FrameType.GOSSIP:
        this.#host.onGossip(this, decodeJson<Gossip>(f.body, 'GOSSIP'));
        return;
      case FrameType.GOAWAY:
        if (f.flags & Flags.ACK) {
          this.#goawayAcked?.();
          this.#goawayAcked = undefined;
        } else {
          this.peerDraining = true;
          this.#send(encodeFrame(FrameType.GOAWAY, Flags.ACK, 0));
          this.#host.onGoaway(this);
        }
        return;
      case FrameType.HELLO:
        throw new ProtocolError('second HELLO on an open connection');
    }
  }

  #onRequest(f: Frame): void {
    const { head, payload } = decodeRequest(f.flags, f.body);
    const codec = codecById(f.flags & Flags.CODEC_MASK);
    if (!codec) throw new ProtocolError(`unknown codec id ${f.flags & Flags.CODEC_MASK}`);
    const streamId = f.streamId;
    if (this.#served.has(streamId)) throw new ProtocolError(`stream id ${streamId} reused while in use`);
    const ctx = new CallContext({
      namespace: head.namespace,
      service: head.service,
      method: head.method,
      deadline: Date.now() + head.timeout,
      metadata: head.metadata,
      caller: this.#caller,
      codec,
    });
    if (f.flags & Flags.STREAM) {
      const body = this.#inflow(streamId);
      this.#served.set(streamId, { ctx, body });
      this.#host.serveStream(ctx, payload, body.readable, (err, reply) =>
        err ? this.#reply(streamId, ctx, undefined, err) : this.#streamReply(streamId, ctx, reply!),
      );
      return;
    }
    this.#served.set(streamId, { ctx });
    this.#host.serve(ctx, payload, (err, result) => this.#reply(streamId, ctx, result, err));
  }

  #reply(streamId: number, ctx: CallContext, result: Uint8Array | undefined, err: MeshError | undefined): void {
    if (this.#served.get(streamId)?.ctx !== ctx) return; // cancelled, or the connection closed
    this.#served.delete(streamId);
    const limit = this.peer!.maxFrame;
    if (result && result.length > limit) {
      err = Failures.replyTooLarge({ size: result.length, limit }, { details: { size: result.length, limit } });
    }
    if (err) {
      this.#send(encodeFrame(FrameType.RESPONSE, Flags.ERROR, streamId, encodeError(err)));
    } else {
      this.#send(encodeFrame(FrameType.RESPONSE, ctx.codec.id, streamId, result));
    }
  }

  async #streamReply(streamId: number, ctx: CallContext, reply: StreamReply): Promise<void> {
    if (this.#served.get(streamId)?.ctx !== ctx) return;
    this.#send(encodeFrame(FrameType.RESPONSE, Flags.STREAM, streamId, reply.head));
    const out = this.#outflow(streamId);
    try {
      if (reply.body) {
        for await (const chunk of reply.body) {
          if (this.#served.get(streamId)?.ctx !== ctx) return; // the caller went away
          await out.write(chunk); // waits while the caller's window is used up
        }
      }
      await out.end();
    } catch (err) {
      if (this.#served.get(streamId)?.ctx === ctx) {
        this.#send(encodeFrame(FrameType.RESET, 0, streamId, encodeError(MeshError.from(err))));
      }
    } finally {
      this.#outflows.delete(streamId);
      this.#served.delete(streamId);
      ctx.finish();
    }
  }

  #onResponse(f: Frame): void {
    if (f.flags & Flags.STREAM) {
      // The head of a streamed reply: the call stays pending for its DATA frames.
      const call = this.#pending.get(f.streamId);
      if (!call) return;
      clearTimeout(call.timer);
      call.resolve(f.body);
      return;
    }
    const call = this.#pending.settle(f.streamId);
    if (!call) return; // a reply to a call we already gave up on
    if (f.flags & Flags.ERROR) {
      const err = decodeError(f.body);
      call.stream?.readable.destroy(err);
      this.#endOutflow(f.streamId, err);
      call.reject(err);
    } else {
      call.resolve(f.body);
    }
  }

  #onStreamData(f: Frame): void {
    const end = (f.flags & Flags.END) !== 0;
    // Data for a stream we opened (the reply body) ...
    const call = this.#pending.get(f.streamId);
    if (call?.stream) {
      if (f.body.length > 0) call.stream.push(Buffer.from(f.body));
      if (end) {
        this.#pending.settle(f.streamId);
        call.stream.end();
      }
      return;
    }
    // ... or for a stream we serve (the request body).
    const served = this.#served.get(f.streamId);
    if (served?.body) {
      if (f.body.length > 0) served.body.push(Buffer.from(f.body));
      if (end) served.body.end();
    }
  }

  #onCancel(f: Frame): void {
    // CANCEL says why when it has a body (the caller's deadline, or its abort); RESET always may.
    const reason = f.body.length > 0 ? decodeError(f.body) : Failures.cancelledByCaller();
    const served = this.#served.get(f.streamId);
    if (served) {
      this.#served.delete(f.streamId);
      served.ctx.cancel(reason);
      served.body?.readable.destroy(reason);
    }
    this.#endOutflow(f.streamId, reason);
    const call = this.#pending.settle(f.streamId);
    if (call) {
      call.stream?.readable.destroy(reason);
      call.reject(reason);
    }
  }

  /** Mark closed and fail what waits on this link; `ending` leaves the socket to end() cleanly. */
  #fail(err: MeshError | undefined, ending = false): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#heartbeat.stop();
    clearTimeout(this.#handshakeTimer);
    if (this.#paused) clearInterval(this.#paused.timer);
    this.#outbox.close();
    const lost = err ?? Failures.linkLost({ peer: this.peerLabel });
    for (const id of [...this.#outflows.keys()]) this.#endOutflow(id, lost);
    for (const id of this.#pending.ids()) {
      const call = this.#pending.settle(id)!;
      call.stream?.readable.destroy(lost);
      call.reject(Failures.inFlightOnClosedLink({ why: lost.message }, { cause: lost }));
    }
    for (const { ctx, body } of this.#served.values()) {
      ctx.cancel(Failures.callerDisconnected());
      body?.readable.destroy();
    }
    this.#served.clear();
    this.#goawayAcked?.();
    if (!ending) this.socket.destroy();
    this.#host.onClose(this, err);
  }
}
