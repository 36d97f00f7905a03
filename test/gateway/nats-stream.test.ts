/**
 * Byte streams on NatsMesh (what the gateway forwards published HTTP handlers over), against a
 * real NATS server: bodies both ways intact, the credit window bounds what a reply that nobody
 * reads can buffer, the deadline and a cancel end the stream on the serving side too, and an
 * open nobody serves fails at once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallContext, StreamEndpoint } from '../../src/index.js';
import { NatsMesh } from '../../src/transports/nats/mesh.js';
import { STREAM_WINDOW } from '../../src/transports/nats/stream.js';
import { NATS_URL, broker } from '../helpers/brokers.js';

const natsUp = await broker('NATS', NATS_URL);

describe.skipIf(!natsUp)('NatsMesh byte streams', () => {
  const nodes: NatsMesh[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
  });

  /** A serving node with `endpoint` as stream service "s", and a caller that sees it. */
  async function pair(endpoint: StreamEndpoint): Promise<NatsMesh> {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const server = new NatsMesh({ name: 'server', servers: NATS_URL, prefix, announceInterval: 200, drainTimeout: 2000 });
    const caller = new NatsMesh({ name: 'caller', servers: NATS_URL, prefix, announceInterval: 200, drainTimeout: 2000 });
    nodes.push(server, caller);
    server.publishStream('s', endpoint);
    await Promise.all([server.listen(), caller.listen()]);
    await caller.waitFor('s', 5000);
    expect(caller.services().find((v) => v.name === 's')?.http).toBe(true);
    return caller;
  }

  const collect = async (body: Readable) => {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  it('carries the head and a body larger than the window both ways', async () => {
    const caller = await pair({
      async handleStream(_ctx, head, body) {
        const got = await collect(body as Readable);
        return { head: Buffer.concat([Buffer.from('re:'), Buffer.from(head)]), body: [got.subarray(0, 1000), got.subarray(1000)] };
      },
    });
    const sent = randomBytes(3 * STREAM_WINDOW + 12345);
    const stream = caller.openStream({ service: 's', method: 'http' }, Buffer.from('hi'), { timeout: 10_000 });
    for (let at = 0; at < sent.length; at += 100_000) await stream.write(sent.subarray(at, at + 100_000));
    await stream.end();
    const { head, body } = await stream.reply;
    expect(Buffer.from(head).toString()).toBe('re:hi');
    expect((await collect(body)).equals(sent)).toBe(true);
  });

  it('holds a reply nobody reads to about two windows', async () => {
    let produced = 0;
    const caller = await pair({
      async handleStream() {
        async function* endless() {
          for (let i = 0; i < 10_000; i++) {
            produced += 65_536;
            yield Buffer.alloc(65_536);
          }
        }
        return { head: Buffer.from('ok'), body: endless() };
      },
    });
    const stream = caller.openStream({ service: 's', method: 'http' }, Buffer.alloc(0), { timeout: 10_000 });
    await stream.end();
    const { body } = await stream.reply;
    await new Promise((r) => setTimeout(r, 800)); // the body is never read
    expect(produced).toBeGreaterThan(STREAM_WINDOW);
    expect(produced).toBeLessThanOrEqual(2 * STREAM_WINDOW + 2 * 65_536);
    body.destroy();
  });

  it('ends at the deadline on both sides, and a cancel reaches the handler', async () => {
    const aborted: string[] = [];
    const caller = await pair({
      handleStream(ctx: CallContext) {
        return new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted.push((ctx.signal.reason as { code?: string }).code ?? '?');
            reject(ctx.signal.reason);
          });
        });
      },
    });
    const started = Date.now();
    const late = caller.openStream({ service: 's', method: 'http' }, Buffer.alloc(0), { timeout: 300 });
    await expect(late.reply).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - started).toBeLessThan(2000);

    const abort = new AbortController();
    const cancelled = caller.openStream({ service: 's', method: 'http' }, Buffer.alloc(0), { timeout: 10_000, signal: abort.signal });
    await cancelled.end();
    await new Promise((r) => setTimeout(r, 100));
    abort.abort();
    await expect(cancelled.reply).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect.poll(() => aborted.length, { timeout: 3000 }).toBe(2);
    expect(aborted[0]).toBe('DEADLINE_EXCEEDED');
    expect(aborted[1]).toBe('CANCELLED');
  });

  it('fails at once when nobody serves the stream', async () => {
    const caller = await pair({ handleStream: async () => ({ head: Buffer.alloc(0) }) });
    const started = Date.now();
    const stream = caller.openStream({ service: 'nobody', method: 'http' }, Buffer.alloc(0), { timeout: 10_000 });
    await expect(stream.reply).rejects.toMatchObject({ code: 'UNAVAILABLE', notProcessed: true });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
