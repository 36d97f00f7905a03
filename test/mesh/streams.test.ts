/**
 * Byte streams over the mesh (what the gateway forwards HTTP over): a head each way and bodies
 * of any size streamed in frames, between two nodes on real sockets.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mesh, type StreamEndpoint } from '../../src/index.js';
import { sleep } from '../helpers/procs.js';

const echoUpper: StreamEndpoint = {
  async handleStream(_ctx, head, body) {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    for await (const chunk of body) {
      hash.update(chunk);
      chunks.push(chunk);
    }
    const all = Buffer.concat(chunks);
    return {
      head: Buffer.from(JSON.stringify({ got: Buffer.from(head).toString(), bytes: all.length, sha: hash.digest('hex') })),
      body: (function* () {
        for (let o = 0; o < all.length; o += 100_000) yield all.subarray(o, o + 100_000);
      })(),
    };
  },
};

/** Bytes a slow-download endpoint has produced so far (read by the test). */
let produced = 0;
const download: StreamEndpoint = {
  async handleStream() {
    produced = 0;
    return {
      head: Buffer.from('download'),
      body: (function* () {
        for (let i = 0; i < 256; i++) {
          produced += 64 * 1024;
          yield Buffer.alloc(64 * 1024, i & 0xff);
        }
      })(),
    };
  },
};

/** Bytes a slow-upload endpoint has read so far; it starts reading only when told to. */
let uploadRead = 0;
let startReading: () => void = () => {};
const slowUpload: StreamEndpoint = {
  async handleStream(_ctx, _head, body) {
    uploadRead = 0;
    await new Promise<void>((resolve) => (startReading = resolve));
    for await (const chunk of body) uploadRead += chunk.length;
    return { head: Buffer.from(String(uploadRead)) };
  },
};

const MiB = 1024 * 1024;

describe('mesh byte streams', () => {
  let server: Mesh;
  let client: Mesh;

  beforeAll(async () => {
    server = new Mesh({ name: 'files', maxFrameSize: 64 * 1024 });
    server.publishStream('files', echoUpper);
    server.publishStream('download', download);
    server.publishStream('upload', slowUpload);
    await server.listen('127.0.0.1:0');
    client = new Mesh({ name: 'client', nodes: [server.address!] });
    await client.listen();
    await client.waitFor(['files', 'download', 'upload'], 5000);
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('streams a large body both ways intact, in frames under the limit', async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const s = client.openStream({ service: 'files', method: 'upload' }, Buffer.from('head-1'));
    for (let o = 0; o < payload.length; o += 256 * 1024) s.write(payload.subarray(o, o + 256 * 1024));
    s.end();
    const reply = await s.reply;
    const meta = JSON.parse(Buffer.from(reply.head).toString());
    expect(meta).toEqual({ got: 'head-1', bytes: payload.length, sha: createHash('sha256').update(payload).digest('hex') });
    const back: Buffer[] = [];
    for await (const chunk of reply.body) back.push(chunk);
    expect(Buffer.concat(back).equals(payload)).toBe(true);
  });

  it('a slow reader holds the sender back: a 16 MiB reply is produced only as fast as it is read', async () => {
    const s = client.openStream({ service: 'download', method: '' }, Buffer.alloc(0));
    await s.end();
    const reply = await s.reply;
    await sleep(300); // read nothing for a while
    expect(produced).toBeGreaterThan(0);
    expect(produced).toBeLessThan(1 * MiB); // without flow control all 16 MiB would be in memory by now
    let total = 0;
    for await (const chunk of reply.body) total += chunk.length;
    expect(total).toBe(16 * MiB);
    expect(produced).toBe(16 * MiB);
  });

  it('a slow reader of an upload holds the uploader back', async () => {
    const s = client.openStream({ service: 'upload', method: '' }, Buffer.alloc(0));
    let accepted = 0;
    const writing = (async () => {
      for (let i = 0; i < 256; i++) {
        await s.write(Buffer.alloc(64 * 1024, 1));
        accepted += 64 * 1024;
      }
      await s.end();
    })();
    await sleep(300);
    expect(accepted).toBeLessThan(1 * MiB); // the uploader waits for the server to read
    startReading();
    await writing;
    const reply = await s.reply;
    expect(Buffer.from(reply.head).toString()).toBe(String(16 * MiB));
  });

  it('a stream to a service without a stream endpoint fails with NOT_FOUND', async () => {
    const s = client.openStream({ service: 'nothing', method: '' }, Buffer.alloc(0));
    await expect(s.reply).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
