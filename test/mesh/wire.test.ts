/**
 * The frame decoder, property-tested: any split of valid frames decodes to the same frames,
 * and random bytes raise nothing but ProtocolError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, ProtocolError } from '../../src/mesh/wire/decoder.js';
import { encodeFrame, FrameType, MAX_FRAME_TYPE, type Frame, type FrameTypeValue } from '../../src/mesh/wire/frame.js';
import { decodeRequest, encodeRequest } from '../../src/mesh/wire/messages.js';

const frameArb = fc.record({
  type: fc.integer({ min: 1, max: MAX_FRAME_TYPE }).map((t) => t as FrameTypeValue),
  flags: fc.integer({ min: 0, max: 255 }),
  streamId: fc.integer({ min: 0, max: 0xffffffff }),
  body: fc.uint8Array({ maxLength: 300 }),
});

function plain(frames: Frame[]) {
  return frames.map((f) => ({ type: f.type, flags: f.flags, streamId: f.streamId, body: Buffer.from(f.body).toString('hex') }));
}

describe('FrameDecoder', () => {
  it('decodes any split of valid frames to the same frames', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }), (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.flags, f.streamId, f.body)));
        const decoder = new FrameDecoder(1024);
        const out: Frame[] = [];
        let o = 0;
        for (let i = 0; o < bytes.length; i++) {
          const n = cuts[i % cuts.length];
          out.push(...decoder.push(bytes.subarray(o, o + n)));
          o += n;
        }
        expect(plain(out)).toEqual(plain(frames.map((f) => ({ ...f, body: Buffer.from(f.body) }))));
        expect(decoder.buffered).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('raises nothing but ProtocolError on random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const decoder = new FrameDecoder(4096);
        try {
          for (const c of chunks) decoder.push(Buffer.from(c));
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects a length prefix above the limit before the body arrives', () => {
    const decoder = new FrameDecoder(1024);
    const head = Buffer.alloc(10);
    head.writeUInt32BE(6 + 2048, 0);
    head[4] = FrameType.DATA;
    expect(() => decoder.push(head)).toThrow(ProtocolError);
  });

  it('gathers a large frame split into many chunks', () => {
    const body = Buffer.alloc(200_000, 7);
    const bytes = encodeFrame(FrameType.DATA, 0, 9, body);
    const decoder = new FrameDecoder(1 << 20);
    const out: Frame[] = [];
    for (let o = 0; o < bytes.length; o += 1000) out.push(...decoder.push(bytes.subarray(o, o + 1000)));
    expect(out).toHaveLength(1);
    expect(out[0].body.equals(body)).toBe(true);
  });
});

describe('REQUEST body', () => {
  it('round-trips names, timeout, metadata and payload', () => {
    fc.assert(
      fc.property(
        fc.record({
          namespace: fc.constantFrom('default', 'greeter', 'ns.x'),
          service: fc.string({ minLength: 1, maxLength: 40 }),
          method: fc.string({ maxLength: 40 }),
          timeout: fc.integer({ min: 0, max: 0xffffffff }),
          metadata: fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { minKeys: 1 }), { nil: undefined }),
        }),
        fc.uint8Array({ maxLength: 100 }),
        (head, payload) => {
          const frame = encodeRequest(3, head, 1, payload);
          const decoded = decodeRequest(frame[5], frame.subarray(10));
          expect(decoded.head).toEqual(head);
          expect(Buffer.from(decoded.payload).equals(Buffer.from(payload))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps a metadata key named __proto__ as an entry (the property test above once found it lost)', () => {
    const metadata = JSON.parse('{"__proto__":"p","tenant":"acme"}') as Record<string, string>;
    const frame = encodeRequest(3, { namespace: 'default', service: 'svc', method: 'm', timeout: 5, metadata }, 0, Buffer.from('{}'));
    const decoded = decodeRequest(frame[5], frame.subarray(10)).head.metadata!;
    expect(Object.entries(decoded)).toEqual([['__proto__', 'p'], ['tenant', 'acme']]);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  });

  it('raises ProtocolError on truncated bodies', () => {
    const frame = encodeRequest(3, { namespace: 'default', service: 'svc', method: 'm', timeout: 5, metadata: { a: 'b' } }, 0, Buffer.from('{}'));
    const body = frame.subarray(10);
    for (let n = 0; n < body.length - 2; n++) {
      expect(() => decodeRequest(frame[5], body.subarray(0, n))).toThrow(ProtocolError);
    }
  });
});
