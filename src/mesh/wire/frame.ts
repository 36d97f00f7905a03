/**
 * The mesh frame: a 10-byte header and a body. Pure functions only; no sockets here.
 *
 *   0      4     5      6          10
 *   | len  | type | flags | stream id | body (len - 6 bytes) ...
 *
 * `len` counts everything after itself (type, flags, stream id and body), big-endian.
 * See docs/PROTOCOL.md for each frame type's body.
 */

export const HEADER_SIZE = 10;
/** Bytes of the header that `len` covers (type + flags + stream id). */
export const LEN_COVERED = 6;

export const FrameType = {
  HELLO: 1,
  REQUEST: 2,
  RESPONSE: 3,
  CANCEL: 4,
  PING: 5,
  PONG: 6,
  GOAWAY: 7,
  GOSSIP: 8,
  DATA: 9,
  RESET: 10,
  WINDOW: 11,
} as const;
export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];
export const MAX_FRAME_TYPE = 11;

export const Flags = {
  /** REQUEST/RESPONSE: the codec id lives in the low two bits. */
  CODEC_MASK: 0x03,
  /** REQUEST: a metadata block precedes the payload. */
  METADATA: 0x04,
  /** REQUEST/RESPONSE: the body is a stream head; DATA frames follow on the same stream id. */
  STREAM: 0x08,
  /** RESPONSE: the body is an error (JSON WireError). */
  ERROR: 0x10,
  /** DATA: last frame of this direction of the stream. */
  END: 0x40,
  /** GOAWAY: acknowledgement of the peer's GOAWAY. */
  ACK: 0x80,
} as const;

export interface Frame {
  type: FrameTypeValue;
  flags: number;
  streamId: number;
  body: Buffer;
}

/** One frame as bytes; `body` may be empty. */
export function encodeFrame(type: FrameTypeValue, flags: number, streamId: number, body?: Uint8Array): Buffer {
  const bodyLen = body ? body.length : 0;
  const buf = Buffer.allocUnsafe(HEADER_SIZE + bodyLen);
  writeHeader(buf, type, flags, streamId, bodyLen);
  if (body && bodyLen > 0) buf.set(body, HEADER_SIZE);
  return buf;
}

export function writeHeader(buf: Buffer, type: number, flags: number, streamId: number, bodyLen: number): void {
  buf.writeUInt32BE(LEN_COVERED + bodyLen, 0);
  buf[4] = type;
  buf[5] = flags;
  buf.writeUInt32BE(streamId >>> 0, 6);
}
