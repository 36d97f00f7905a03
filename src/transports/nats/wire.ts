/**
 * How a call looks on NATS (pure helpers, no sockets). A request goes to the subject
 * `<prefix>.<namespace>.<service>.<method>` (each token escaped, see `token`); headers carry the
 * codec, the time left (`meshrpc-timeout`, ms, so clocks need not agree) and metadata
 * (`meshrpc-md-<key>`). A reply is the result bytes, or `meshrpc-status: <CODE>` with a JSON
 * WireError body.
 */
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { codecByName, type Codec, type CodecName } from '../../core/codec.js';
import type { Metadata } from '../../core/context.js';
import { MeshError, type WireError } from '../../core/errors.js';
import { deadlineFromTimeout, readMetadata, writeMetadata } from '../../pipeline/metadata.js';
import { H_CODEC, H_META, H_STATUS, H_TIMEOUT } from '../headers.js';

export const DEFAULT_PREFIX = 'meshrpc';

export { H_CODEC, H_META, H_STATUS, H_TIMEOUT };

/**
 * One subject token from a name: '.', '*', '>', '%' and whitespace become %XX, and the empty
 * string becomes '%' (NATS forbids empty tokens; no escape produces a lone '%').
 */
export function token(s: string): string {
  if (s === '') return '%';
  return s.replace(/[.*>%\s]/g, (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase());
}

export function untoken(t: string): string {
  if (t === '%') return '';
  return t.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function subjectOf(prefix: string, namespace: string, service: string, method: string): string {
  return `${prefix}.${token(namespace)}.${token(service)}.${token(method)}`;
}

/**
 * subjectOf, remembered per call target: typed clients reuse one target object per method, so
 * the escaping runs once per method instead of on every call.
 */
export class SubjectCache {
  readonly #prefix: string;
  readonly #subjects = new WeakMap<object, string>();

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  of(target: { namespace?: string; service: string; method: string }, defaultNamespace: string): string {
    let subject = this.#subjects.get(target);
    if (subject === undefined) {
      subject = subjectOf(this.#prefix, target.namespace ?? defaultNamespace, target.service, target.method);
      this.#subjects.set(target, subject);
    }
    return subject;
  }
}

/** The wildcard a server subscribes to for one service. */
export function serviceWildcard(prefix: string, namespace: string, service: string): string {
  return `${prefix}.${token(namespace)}.${token(service)}.*`;
}

const methods = new Map<string, string>();

/** The last token of a subject, unescaped: the method (remembered: a server sees few subjects). */
export function methodOf(subject: string): string {
  let method = methods.get(subject);
  if (method === undefined) {
    method = untoken(subject.slice(subject.lastIndexOf('.') + 1));
    if (methods.size < 10_000) methods.set(subject, method);
  }
  return method;
}

export function requestHeaders(timeoutMs: number, codec: CodecName, metadata: Metadata | undefined): MsgHdrs {
  const h = natsHeaders();
  h.set(H_TIMEOUT, String(Math.max(0, Math.floor(timeoutMs))));
  if (codec !== 'json') h.set(H_CODEC, codec);
  writeMetadata(metadata, H_META, (k, v) => h.set(k, v));
  return h;
}

export interface RequestHead {
  deadline: number | undefined;
  codec: Codec;
  metadata: Metadata;
}

export function readRequestHeaders(h: MsgHdrs | undefined, now = Date.now()): RequestHead {
  if (!h) return { deadline: undefined, codec: codecByName('json'), metadata: {} };
  const deadline = deadlineFromTimeout(h.get(H_TIMEOUT), now);
  const codec = codecByName((h.get(H_CODEC) || 'json') as CodecName);
  const metadata = readMetadata(h.keys(), (k) => h.get(k), H_META);
  return { deadline, codec, metadata };
}

export function errorReply(err: unknown): { headers: MsgHdrs; body: Uint8Array } {
  const wire: WireError = MeshError.from(err).toWire();
  const h = natsHeaders();
  h.set(H_STATUS, wire.code);
  return { headers: h, body: Buffer.from(JSON.stringify(wire)) };
}

/** The MeshError a reply carries, or undefined when it is a result. */
export function errorOfReply(h: MsgHdrs | undefined, body: Uint8Array): MeshError | undefined {
  const status = h?.get(H_STATUS);
  if (!status) return undefined;
  try {
    return MeshError.fromWire(JSON.parse(Buffer.from(body).toString('utf8')));
  } catch {
    return MeshError.fromWire({ code: status, message: 'remote error' });
  }
}

/** The queue group instances of one service share (load balancing). */
export function queueOf(prefix: string, namespace: string, service: string): string {
  return `${prefix}.${token(namespace)}.${token(service)}`;
}
