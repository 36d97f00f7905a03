/**
 * Incremental frame decoder: feed it socket chunks in any split, get whole frames out.
 * Anything that cannot be a valid frame (unknown type, a length below the header or above the
 * negotiated limit) raises ProtocolError and nothing else; the connection is then closed.
 * Whole frames inside one chunk are sliced without copying; a frame split across chunks is
 * gathered once, when its last byte arrives (no quadratic re-concatenation of large frames).
 */
import { MeshError } from '../../core/errors.js';
import { HEADER_SIZE, LEN_COVERED, MAX_FRAME_TYPE, type Frame, type FrameTypeValue } from './frame.js';

export class ProtocolError extends MeshError {
  constructor(message: string) {
    super('INTERNAL', `protocol error: ${message}`);
    this.name = 'ProtocolError';
  }
}

export class FrameDecoder {
  /** Largest body accepted; a bigger length prefix is a protocol error, not an allocation. */
  maxBodySize: number;
  #parts: Buffer[] = [];
  #partsLen = 0;
  /** Total bytes (header included) of the frame being gathered, once its length is known. */
  #need = 0;

  constructor(maxBodySize: number) {
    this.maxBodySize = maxBodySize;
  }

  /** Total size (header included) of the frame being gathered, once its length prefix arrived; else 0. */
  get gathering(): number {
    return this.#need;
  }

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.#partsLen;
  }

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let buf: Buffer;
    if (this.#partsLen === 0) {
      buf = chunk;
    } else {
      this.#parts.push(chunk);
      this.#partsLen += chunk.length;
      if (this.#need === 0 && this.#partsLen >= 4) this.#need = this.#frameSize(this.#peekLength());
      if (this.#need === 0 || this.#partsLen < this.#need) return frames;
      buf = Buffer.concat(this.#parts, this.#partsLen);
      this.#parts = [];
      this.#partsLen = 0;
      this.#need = 0;
    }

    let offset = 0;
    while (buf.length - offset >= 4) {
      const size = this.#frameSize(buf.readUInt32BE(offset));
      if (buf.length - offset < size) break;
      const type = buf[offset + 4];
      if (type === 0 || type > MAX_FRAME_TYPE) throw new ProtocolError(`unknown frame type ${type}`);
      frames.push({
        type: type as FrameTypeValue,
        flags: buf[offset + 5],
        streamId: buf.readUInt32BE(offset + 6),
        body: buf.subarray(offset + HEADER_SIZE, offset + size),
      });
      offset += size;
    }
    if (offset < buf.length) {
      const rest = buf.subarray(offset);
      this.#parts = [rest];
      this.#partsLen = rest.length;
      this.#need = rest.length >= 4 ? this.#frameSize(rest.readUInt32BE(0)) : 0;
    }
    return frames;
  }

  #peekLength(): number {
    const first = this.#parts[0];
    if (first.length >= 4) return first.readUInt32BE(0);
    return Buffer.concat(this.#parts, this.#partsLen).readUInt32BE(0);
  }

  /** Total frame size from its length prefix, after checking the prefix is sane. */
  #frameSize(len: number): number {
    if (len < LEN_COVERED) throw new ProtocolError(`frame length ${len} is shorter than a frame header`);
    const body = len - LEN_COVERED;
    if (body > this.maxBodySize) {
      throw new ProtocolError(`frame of ${body} bytes exceeds the limit of ${this.maxBodySize}`);
    }
    return len + 4;
  }
}
