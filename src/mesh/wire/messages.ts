/**
 * Bodies of the mesh frames: the REQUEST head (namespace, service, method, timeout, metadata),
 * error replies, and the JSON control messages (HELLO, GOSSIP, GOAWAY). Pure encode/decode.
 */
import { DEFAULT_NAMESPACE, type ServiceInfo } from '../../core/endpoint.js';
import { MeshError, type WireError } from '../../core/errors.js';
import { setMetadata, type Metadata } from '../../core/context.js';
import { Failures } from '../../core/failures.js';
import { Flags, FrameType, HEADER_SIZE, writeHeader } from './frame.js';
import { ProtocolError } from './decoder.js';

export const PROTOCOL_VERSION = 1;

export interface RequestHead {
  namespace: string;
  service: string;
  method: string;
  /** Milliseconds the caller still waits; relative so clocks need not agree. */
  timeout: number;
  metadata: Metadata | undefined;
}

/**
 * The namespace, service and method of a REQUEST as wire bytes (three u8-length-prefixed
 * strings). Callers cache this per call target: it is the same for every call of a method.
 */
export function encodeNames(namespace: string, service: string, method: string): Buffer {
  const parts = [namespace === DEFAULT_NAMESPACE ? '' : namespace, service, method].map((s) => Buffer.from(s));
  for (const p of parts) {
    if (p.length > 255) throw Failures.nameTooLongForWire({ name: p.toString(), size: p.length, limit: 255 });
  }
  return Buffer.concat(parts.flatMap((p) => [Buffer.from([p.length]), p]));
}

/**
 * REQUEST body: u8 nsLen, ns, u8 serviceLen, service, u8 methodLen, method, u32 timeout ms,
 * [u32 metaLen, metadata JSON when flag METADATA], payload. The default namespace travels as "".
 */
export function encodeRequest(
  streamId: number,
  head: RequestHead,
  codecId: number,
  payload: Uint8Array,
  extraFlags = 0,
  names: Buffer = encodeNames(head.namespace, head.service, head.method),
): Buffer {
  const metaJson = head.metadata && Object.keys(head.metadata).length > 0 ? JSON.stringify(head.metadata) : undefined;
  const metaLen = metaJson === undefined ? 0 : Buffer.byteLength(metaJson);
  const bodyLen = names.length + 4 + (metaJson === undefined ? 0 : 4 + metaLen) + payload.length;
  const buf = Buffer.allocUnsafe(HEADER_SIZE + bodyLen);
  const flags = (codecId & Flags.CODEC_MASK) | (metaJson === undefined ? 0 : Flags.METADATA) | extraFlags;
  writeHeader(buf, FrameType.REQUEST, flags, streamId, bodyLen);
  let o = HEADER_SIZE + names.copy(buf, HEADER_SIZE);
  buf.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.ceil(head.timeout))), o);
  o += 4;
  if (metaJson !== undefined) {
    buf.writeUInt32BE(metaLen, o);
    buf.write(metaJson, o + 4);
    o += 4 + metaLen;
  }
  buf.set(payload, o);
  return buf;
}

export function decodeRequest(flags: number, body: Buffer): { head: RequestHead; payload: Buffer } {
  let o = 0;
  const [ns, o1] = readShortString(body, o);
  const [service, o2] = readShortString(body, o1);
  const [method, o3] = readShortString(body, o2);
  o = o3;
  if (body.length < o + 4) throw new ProtocolError('REQUEST body too short for its timeout');
  const timeout = body.readUInt32BE(o);
  o += 4;
  let metadata: Metadata | undefined;
  if (flags & Flags.METADATA) {
    if (body.length < o + 4) throw new ProtocolError('REQUEST metadata length missing');
    const n = body.readUInt32BE(o);
    if (body.length < o + 4 + n) throw new ProtocolError('REQUEST metadata truncated');
    metadata = parseMetadata(body.toString('utf8', o + 4, o + 4 + n));
    o += 4 + n;
  }
  return {
    head: { namespace: ns === '' ? DEFAULT_NAMESPACE : ns, service, method, timeout, metadata },
    payload: body.subarray(o),
  };
}

function parseMetadata(json: string): Metadata {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ProtocolError('REQUEST metadata is not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ProtocolError('REQUEST metadata is not an object');
  const out: Metadata = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') setMetadata(out, k, v);
  return out;
}

function readShortString(buf: Buffer, o: number): [string, number] {
  if (buf.length < o + 1) throw new ProtocolError('REQUEST body truncated');
  const n = buf[o];
  if (buf.length < o + 1 + n) throw new ProtocolError('REQUEST body truncated');
  return [buf.toString('utf8', o + 1, o + 1 + n), o + 1 + n];
}

/** An error reply; `notProcessed` tells the caller no handler ran, so retrying elsewhere is safe. */
export interface ErrorBody extends WireError {
  notProcessed?: boolean;
}

/**
 * The error reply to a request that reached a handler, so never `notProcessed`: a handler
 * that failed on its own call to another service (which may have been "not processed") did run,
 * and running it again elsewhere could repeat what it did.
 */
export function encodeError(err: MeshError): Buffer {
  return Buffer.from(JSON.stringify(err.toWire()));
}

export function decodeError(body: Buffer): MeshError {
  let parsed: ErrorBody;
  try {
    parsed = JSON.parse(body.toString('utf8')) as ErrorBody;
  } catch {
    return Failures.unreadableRemoteError();
  }
  return MeshError.fromWire(parsed, parsed?.notProcessed === true ? { notProcessed: true } : {});
}

/** What a node says about itself: in HELLO, and in GOSSIP about every peer it is connected to. */
export interface MemberInfo {
  id: string;
  name: string;
  /** Address others can dial (host:port), or null for a node that does not accept peers. */
  addr: string | null;
  tags: string[];
  services: ServiceInfo[];
  /** Increases whenever this node's service list changes. */
  version: number;
}

export interface Hello extends MemberInfo {
  protocol: number;
  /** The sender has no other link yet (it is joining): the receiver answers with its member list. */
  join?: boolean;
  /** Largest frame body this node accepts. */
  maxFrame: number;
  /** Port the node listens on, when its host must be taken from the socket (NAT, containers). */
  port: number | null;
}

/**
 * `list`: the members the sender is linked to, sent once to a node that joins through it;
 * `delta`: members newly linked somewhere, passed on by whoever did not know them; `digest`: a
 * bounded random sample of the sender's linked members (anti-entropy); `self`: the sender's own
 * entry, after its services changed. Absent (older nodes): treated as a list.
 */
export type GossipKind = 'list' | 'delta' | 'digest' | 'self';

export interface Gossip {
  kind?: GossipKind;
  members: MemberInfo[];
}

export function gossipKind(g: Gossip): GossipKind {
  return g.kind === 'delta' || g.kind === 'digest' || g.kind === 'self' ? g.kind : 'list';
}

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

export function decodeJson<T>(body: Buffer, what: string): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new ProtocolError(`${what} body is not JSON`);
  }
}

function isServiceInfo(v: unknown): v is ServiceInfo {
  const s = v as ServiceInfo;
  return (
    !!s && typeof s === 'object' && typeof s.namespace === 'string' && typeof s.name === 'string' &&
    (s.methods === undefined || (Array.isArray(s.methods) && s.methods.every((m) => typeof m === 'string')))
  );
}

/**
 * Member info is stored and routed on, so a peer's HELLO or gossip entry is taken only when it
 * has every field with the right type: one malformed entry must not corrupt the routing table.
 */
export function isMemberInfo(v: unknown): v is MemberInfo {
  const m = v as MemberInfo;
  return (
    !!m && typeof m === 'object' && typeof m.id === 'string' && typeof m.name === 'string' &&
    (m.addr === null || typeof m.addr === 'string') && typeof m.version === 'number' &&
    Array.isArray(m.tags) && m.tags.every((t) => typeof t === 'string') &&
    Array.isArray(m.services) && m.services.every(isServiceInfo)
  );
}

export function isHello(v: unknown): v is Hello {
  const h = v as Hello;
  return (
    isMemberInfo(h) && h.protocol === PROTOCOL_VERSION && typeof h.maxFrame === 'number' && h.maxFrame > 0 &&
    (h.port === null || (Number.isInteger(h.port) && h.port > 0 && h.port < 65536))
  );
}
