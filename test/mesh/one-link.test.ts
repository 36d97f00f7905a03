/**
 * One link per pair: two nodes that dial each other at the same moment (each is the other's
 * seed) end with a single link, the one the smaller id dialed, at both ends; the second link is
 * retired with GOAWAY while calls run, and no call fails.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, createHandler, defineService, Mesh, MeshError } from '../../src/index.js';

interface Echo {
  echo(text: string): Promise<string>;
}
const echoSpec = defineService<Echo>('echo', { echo: ['text'] });

/** Every TCP socket this process opens or accepts while the test runs, and the ports ever dialed. */
const sockets = new Set<Socket>();
const dialed: number[] = [];
const track = ({ socket }: { socket: Socket }) => {
  sockets.add(socket);
  socket.once('connect', () => dialed.push(socket.remotePort!));
};
subscribe('net.client.socket', track as (m: unknown) => void);
subscribe('net.server.socket', track as (m: unknown) => void);

const meshes: Mesh[] = [];
afterAll(async () => {
  await Promise.all(meshes.map((m) => m.close()));
  unsubscribe('net.client.socket', track as (m: unknown) => void);
  unsubscribe('net.server.socket', track as (m: unknown) => void);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Open sockets dialed to `port` (the dialing end of each link to the node listening there). */
const dialedTo = (port: number) => [...sockets].filter((s) => !s.destroyed && s.remotePort === port && s.readyState === 'open');

describe('one link per pair', () => {
  it('crossing dials end with the link the smaller id dialed, and no call fails meanwhile', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = new Mesh({ name: 'a', nodes: [`127.0.0.1:${pb}`], logger: quiet });
    const b = new Mesh({ name: 'b', nodes: [`127.0.0.1:${pa}`], logger: quiet });
    meshes.push(a, b);
    b.publish(createHandler(echoSpec, { echo: async (text: string) => text }));
    await Promise.all([a.listen(`127.0.0.1:${pa}`), b.listen(`127.0.0.1:${pb}`)]);
    await a.waitFor('echo', 5000);

    // Calls from a to b run while the spare link (if the dials crossed) is retired.
    const client = createClient(echoSpec, a);
    const failures: string[] = [];
    let calls = 0;
    const until = Date.now() + 1500;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 2000 && Date.now() < until; i++, calls++) {
          await client.echo('x').catch((err: unknown) => failures.push(err instanceof MeshError ? err.code : String(err)));
        }
      }),
    );
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(20);

    // Both ends dialed (each had the other as its seed), so there were two links to choose from.
    expect(dialed.includes(pa) && dialed.includes(pb)).toBe(true);
    for (let i = 0; i < 100 && dialedTo(pa).length + dialedTo(pb).length !== 1; i++) await sleep(50);
    const smaller = a.id < b.id ? 'a' : 'b';
    // The one link left was dialed by the smaller id: its dialing socket points at the other's port.
    expect({ toA: dialedTo(pa).length, toB: dialedTo(pb).length }).toEqual(smaller === 'a' ? { toA: 0, toB: 1 } : { toA: 1, toB: 0 });
    expect(a.members().map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
    expect(await client.echo('after')).toBe('after');
  });
});

const nothing = () => {};
const quiet = { debug: nothing, info: nothing, warn: nothing, error: nothing } as never;
