/**
 * Byte streams between nodes (the gateway forwards HTTP to published handlers over them): the
 * endpoint a service publishes, and the handle a caller gets when it opens one. A node that
 * carries them says so in `capabilities.streams` (core/node.ts).
 */
import type { Readable } from 'node:stream';
import type { CallContext } from './context.js';

/** A served stream's answer: its head, and the body (sent with flow control as it is read). */
export interface StreamReply {
  head: Uint8Array;
  body?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/** A byte-stream endpoint (e.g. a forwarded HTTP handler): request head and body in, reply out. */
export interface StreamEndpoint {
  handleStream(ctx: CallContext, head: Uint8Array, body: Readable): Promise<StreamReply>;
}

export interface OpenedStream {
  /** Send request body bytes; resolves when they fit the stream's window (await it for backpressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** End the request body, after everything written before. */
  end(): Promise<void>;
  reply: Promise<{ head: Uint8Array; body: Readable }>;
}
