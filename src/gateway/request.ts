/**
 * Per-request helpers shared by the RPC and forwarding routes: the call's deadline and metadata
 * from the HTTP request, reading a bounded body, and the labels metrics and the access log use.
 */
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Metadata } from '../core/context.js';
import { Failures } from '../core/failures.js';
import { HttpError } from './errors.js';

/** What the mesh routes record on a request for metrics and the access log. */
export interface MeshRequestInfo {
  service: string;
  method: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the gateway's mesh routes: the service and method a request went to. */
    meshrpc: MeshRequestInfo | null;
  }
}

export interface DeadlinePolicy {
  /** Deadline of a call whose request names none (ms). */
  callTimeout: number;
  /** The most a request may ask for with `x-request-timeout` (ms). */
  maxCallTimeout: number;
}

/** Header a client sets to shorten (or, up to the maximum, lengthen) its call's deadline, in ms. */
export const TIMEOUT_HEADER = 'x-request-timeout';
/** Header whose value becomes the call's sticky key (same key, same instance). */
export const STICKY_HEADER = 'x-meshrpc-sticky';

export function deadlineOf(request: FastifyRequest, policy: DeadlinePolicy): number {
  let timeout = policy.callTimeout;
  const asked = request.headers[TIMEOUT_HEADER];
  if (typeof asked === 'string') {
    const n = Number(asked);
    if (Number.isFinite(n) && n > 0) timeout = Math.min(n, policy.maxCallTimeout);
  }
  return Date.now() + timeout;
}

/** Request id and trace context travel with the call, so service logs can be joined with ours. */
export function metadataOf(request: FastifyRequest): Metadata {
  const md: Metadata = { 'request-id': request.id };
  const tp = request.headers.traceparent;
  if (typeof tp === 'string') md.traceparent = tp;
  const ts = request.headers.tracestate;
  if (typeof ts === 'string') md.tracestate = ts;
  return md;
}

export function stickyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers[STICKY_HEADER];
  return typeof key === 'string' ? key : undefined;
}

export function tooLarge(limit: number): HttpError {
  return HttpError.of(413, Failures.bodyTooLarge({ limit }));
}

const EMPTY = Buffer.alloc(0);

/** The whole body, or a 413 as soon as it passes `limit` bytes (declared or actual). */
export function readBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(limit));
  const source = bodyStream(request);
  if (!source || source.readableEnded || (declared === '0' && request.headers['transfer-encoding'] === undefined)) {
    return Promise.resolve(EMPTY);
  }
  if (source === request.raw && request.raw.complete && !source.readableFlowing) {
    // The parser already holds the whole message (a small body arrives with its headers): take
    // it at once, as one buffer, rather than after the stream's data and end events.
    const whole = (source.read() as Buffer | null) ?? EMPTY;
    return whole.length > limit ? Promise.reject(tooLarge(limit)) : Promise.resolve(whole);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        source.resume(); // discard the rest; the reply is already decided
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(HttpError.of(400, Failures.bodyUnreadable({ why: err.message })));
    };
    const cleanup = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
    };
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
  });
}

/** The request body as a stream: what the catch-all content parser passed on, else the raw request. */
export function bodyStream(request: FastifyRequest): Readable {
  const body = request.body as Readable | undefined;
  if (body && typeof (body as Readable).on === 'function') return body;
  return request.raw;
}
