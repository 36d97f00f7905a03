/**
 * Codecs turn call arguments and results into bytes. JSON is the default (the gateway can pass
 * HTTP bodies through untouched); MessagePack is smaller and faster for binary-heavy payloads.
 * A codec is chosen per call and named on the wire, so nodes with different defaults interoperate.
 */
import { Packr } from 'msgpackr';
import { Failures } from './failures.js';

export type CodecName = 'json' | 'msgpack';

export interface Codec {
  readonly name: CodecName;
  /** One-byte id used on the wire. */
  readonly id: number;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

const EMPTY = new Uint8Array(0);

export const jsonCodec: Codec = {
  name: 'json',
  id: 0,
  encode(value) {
    if (value === undefined) return EMPTY;
    return Buffer.from(JSON.stringify(value));
  },
  decode(bytes) {
    if (bytes.length === 0) return undefined;
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    try {
      return JSON.parse(buf.toString('utf8'));
    } catch (err) {
      throw Failures.malformedPayload({ codec: 'JSON', why: (err as Error).message });
    }
  },
};

// Plain maps and arrays only (no msgpackr record extension), so any MessagePack peer can read us.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export const msgpackCodec: Codec = {
  name: 'msgpack',
  id: 1,
  encode(value) {
    if (value === undefined) return EMPTY;
    return packr.pack(value);
  },
  decode(bytes) {
    if (bytes.length === 0) return undefined;
    try {
      return packr.unpack(bytes);
    } catch (err) {
      throw Failures.malformedPayload({ codec: 'MessagePack', why: (err as Error).message });
    }
  },
};

const byName: Record<CodecName, Codec> = { json: jsonCodec, msgpack: msgpackCodec };
const byId: Codec[] = [jsonCodec, msgpackCodec];

export function codecByName(name: CodecName | Codec | undefined): Codec {
  if (name === undefined) return jsonCodec;
  if (typeof name !== 'string') return name;
  const codec = byName[name];
  if (!codec) throw Failures.unknownCodec({ name });
  return codec;
}

export function codecById(id: number): Codec | undefined {
  return byId[id];
}
