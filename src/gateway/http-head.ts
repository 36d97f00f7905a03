/**
 * The heads of HTTP requests and responses as they travel over a mesh byte stream, and which
 * headers may cross. The request head is `{ method, url, headers, remote }` (url: the path after
 * `/<service>` plus the query); the reply head is `{ status, headers }`. Both are JSON: they are
 * small, once per request, and readable in a packet capture.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Failures } from '../core/failures.js';

export interface HttpRequestHead {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The client's address as the gateway saw it. */
  remote?: string;
}

export interface HttpReplyHead {
  status: number;
  headers: OutgoingHttpHeaders;
}

/** The method name byte streams to published HTTP handlers are opened with. */
export const HTTP_STREAM_METHOD = 'http';

/** Connection-level headers (RFC 9110 §7.6.1) belong to one hop and are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Copy headers minus hop-by-hop ones (and any named in `Connection`). */
export function forwardableHeaders<H extends IncomingHttpHeaders | OutgoingHttpHeaders>(headers: H): H {
  const out: Record<string, unknown> = {};
  const connection = headers.connection;
  const named = typeof connection === 'string' ? connection.toLowerCase().split(',').map((s) => s.trim()) : [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.includes(lower)) continue;
    out[lower] = value;
  }
  return out as H;
}

export function encodeHead(head: HttpRequestHead | HttpReplyHead): Buffer {
  return Buffer.from(JSON.stringify(head));
}

export function decodeRequestHead(bytes: Uint8Array): HttpRequestHead {
  const head = parse(bytes, 'request') as Partial<HttpRequestHead>;
  if (typeof head.method !== 'string' || typeof head.url !== 'string' || !head.url.startsWith('/')) {
    throw Failures.invalidRequestHead();
  }
  return { method: head.method, url: head.url, headers: isObject(head.headers) ? head.headers : {}, remote: head.remote };
}

export function decodeReplyHead(bytes: Uint8Array): HttpReplyHead {
  const head = parse(bytes, 'reply') as Partial<HttpReplyHead>;
  if (typeof head.status !== 'number' || head.status < 100 || head.status > 999) {
    throw Failures.invalidReplyHead();
  }
  return { status: head.status, headers: isObject(head.headers) ? head.headers : {} };
}

function parse(bytes: Uint8Array, what: 'request' | 'reply'): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch {
    throw Failures.malformedHead({ what });
  }
}

function isObject(value: unknown): value is Record<string, never> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
