/**
 * One process of the membership benchmark: it holds several mesh nodes (each publishing its own
 * service `svc-<n>`), and answers the parent over IPC. Bytes are counted at the sockets: every
 * TCP socket this process creates or accepts (diagnostics_channel `net.client.socket` /
 * `net.server.socket`) adds its `bytesWritten`, so the sum over all workers is the mesh's
 * loopback payload, with no one else's traffic in it (which /proc/net/dev of lo would count).
 *
 * Messages in: create {indices, seed?, heartbeatTimeout?} (nodes joining through seed),
 * listen (the nodes not listening yet), expect {epoch, services: [name, id][]}, stats, exit.
 * Out: ready, created {ids}, listened {at, addrs}, converged {index, at, epoch}, stats {...}.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { createHandler, defineService, Mesh, type ServiceView } from '../src/index.js';

type In =
  | { cmd: 'create'; indices: number[]; seed?: string; heartbeatTimeout?: number }
  | { cmd: 'expect'; epoch: number; services: [name: string, id: string][] }
  | { cmd: 'listen' }
  | { cmd: 'stats' }
  | { cmd: 'exit' };

const live = new Set<Socket>();
let closedBytes = 0;
let socketsOpened = 0;
let resets = 0;
let flaps = 0;
const track = ({ socket }: { socket: Socket }) => {
  socketsOpened++;
  live.add(socket);
  socket.on('error', (err: NodeJS.ErrnoException) => void (err.code === 'ECONNRESET' && resets++));
  socket.once('close', () => {
    live.delete(socket);
    closedBytes += socket.bytesWritten;
  });
};
subscribe('net.client.socket', track as (m: unknown) => void);
subscribe('net.server.socket', track as (m: unknown) => void);

interface Probe {
  index: number;
  mesh: Mesh;
  epochSeen: number;
}
const probes: Probe[] = [];
let expected = new Map<string, string>();
let epoch = 0;

const send = (msg: object) => process.send!(msg);
const quiet = () => {};
const logger = (warn: () => void) => ({ debug: quiet, info: quiet, warn: (o: object, m: string) => m.startsWith('peer stopped answering') && warn(), error: quiet });

/** The node sees every expected service with exactly its publisher as instance, and no other svc-*. */
function sees(view: ServiceView[]): boolean {
  let found = 0;
  for (const s of view) {
    if (s.namespace !== 'default' || !s.name.startsWith('svc-')) continue;
    const id = expected.get(s.name);
    if (id === undefined || s.instances.length !== 1 || s.instances[0] !== id) return false;
    found++;
  }
  return found === expected.size;
}

function check(p: Probe): void {
  if (p.epochSeen === epoch || expected.size === 0) return;
  if (!sees(p.mesh.services())) return;
  p.epochSeen = epoch;
  send({ ev: 'converged', index: p.index, at: Date.now(), epoch });
}

process.on('message', async (msg: In) => {
  switch (msg.cmd) {
    case 'create': {
      for (const index of msg.indices) {
        const spec = defineService<{ ping(): Promise<string> }>(`svc-${index}`, { ping: [] });
        const mesh = new Mesh({
          name: `node-${index}`,
          nodes: msg.seed ? [msg.seed] : [],
          logger: logger(() => flaps++) as never,
          ...(msg.heartbeatTimeout && { heartbeatTimeout: msg.heartbeatTimeout }),
        });
        mesh.publish(createHandler(spec, { ping: async () => 'pong' }));
        const p: Probe = { index, mesh, epochSeen: 0 };
        mesh.onServicesChanged(() => check(p));
        probes.push(p);
      }
      send({ ev: 'created', ids: probes.map((p) => [p.index, p.mesh.id]) });
      return;
    }
    case 'expect':
      expected = new Map(msg.services);
      epoch = msg.epoch;
      for (const p of probes) check(p);
      // A view can settle without a routing change after `expect` arrived: look again, bounded.
      for (let i = 0; i < 2400 && probes.some((p) => p.epochSeen !== epoch) && epoch === msg.epoch; i++) {
        await new Promise((r) => setTimeout(r, 50));
        for (const p of probes) check(p);
      }
      return;
    case 'listen': {
      const fresh = probes.filter((p) => p.mesh.address === undefined);
      await Promise.all(fresh.map((p) => p.mesh.listen('127.0.0.1:0')));
      send({ ev: 'listened', at: Date.now(), addrs: fresh.map((p) => p.mesh.address) });
      return;
    }
    case 'stats': {
      let bytes = closedBytes;
      for (const s of live) bytes += s.bytesWritten;
      const linked = probes.reduce((n, p) => n + p.mesh.members().length - 1, 0);
      send({ ev: 'stats', bytes, sockets: live.size, socketsOpened, resets, flaps, linked, cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
      return;
    }
    case 'exit':
      await Promise.race([Promise.all(probes.map((p) => p.mesh.close())), new Promise((r) => setTimeout(r, 3000))]);
      process.exit(0);
  }
});
send({ ev: 'ready' });
