/**
 * Byte streams over the mesh (what the gateway forwards HTTP over): a head each way and bodies
 * of any size streamed in frames, between two nodes on real sockets.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mesh, type StreamEndpoint } from '../../src/index.js';

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

describe('mesh byte streams', () => {
  let server: Mesh;
  let client: Mesh;

  beforeAll(async () => {
    server = new Mesh({ name: 'files', maxFrameSize: 64 * 1024 });
    server.publishStream('files', echoUpper);
    await server.listen('127.0.0.1:0');
    client = new Mesh({ name: 'client', nodes: [server.address!] });
    await client.listen();
    await client.waitFor('files', 5000);
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

  it('a stream to a service without a stream endpoint fails with NOT_FOUND', async () => {
    const s = client.openStream({ service: 'nothing', method: '' }, Buffer.alloc(0));
    await expect(s.reply).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
