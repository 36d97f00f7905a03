/**
 * What the gossiper sends and to whom (src/mesh/gossip.ts, no sockets): a joiner gets the list
 * once, in bounded messages, without services; a new member's address goes to FANOUT peers and is
 * passed on only where it was news; lists and digests are learned, not passed on; own service
 * changes go to every direct link as the node's own entry, encoded once. Then a real join of 12
 * nodes through one seed: one link per pair, and bytes far below what gossiping the whole list to
 * every link sent (about 3 MB for 12 nodes).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createHandler, defineService, Mesh } from '../../src/index.js';
import { FANOUT, Gossiper, MAX_ENTRIES } from '../../src/mesh/gossip.js';
import type { Gossip, GossipKind, MemberInfo } from '../../src/mesh/wire/messages.js';

const member = (id: string, services = [{ namespace: 'default', name: `svc-${id}` }]): MemberInfo => ({ id, name: id, addr: `127.0.0.1:${1000 + id.length}`, tags: [], services, version: 1 });

function world(peerCount: number) {
  const sent: { to: string; body: Buffer }[] = [];
  const learned: { ids: string[]; kind: GossipKind }[] = [];
  const self = member('self');
  const peers = Array.from({ length: peerCount }, (_, i) => ({ info: member(`p${i}`), link: `p${i}` }));
  const gossiper = new Gossiper<string>({
    self: () => self,
    peers: () => peers,
    send: (to, body) => sent.push({ to, body }),
    learn: (members, kind) => learned.push({ ids: members.map((m) => m.id), kind }),
  });
  const decoded = () => sent.map((s) => ({ to: s.to, ...(JSON.parse(s.body.toString()) as Gossip) }));
  return { gossiper, sent, learned, peers, decoded };
}

describe('the gossiper', () => {
  it('sends a joiner the member list once, in messages of at most MAX_ENTRIES, without services', async () => {
    const w = world(MAX_ENTRIES + 10);
    const joiner = member('joiner');
    w.peers.push({ info: joiner, link: 'joiner' });
    w.gossiper.linked('joiner', joiner, true);
    const toJoiner = w.decoded().filter((m) => m.to === 'joiner');
    expect(toJoiner.map((m) => m.kind)).toEqual(['list', 'list']);
    expect(toJoiner.map((m) => m.members.length)).toEqual([MAX_ENTRIES, 10]);
    const listed = toJoiner.flatMap((m) => m.members);
    expect(listed.every((m) => m.services.length === 0)).toBe(true);
    expect(listed.map((m) => m.id)).not.toContain('joiner');
    // A node that linked without asking (it had other links) gets no list.
    const other = member('other');
    w.gossiper.linked('other', other, false);
    expect(w.decoded().filter((m) => m.to === 'other' && m.kind === 'list')).toEqual([]);
  });

  it('spreads a new member to FANOUT peers, never to itself, in one encoding', async () => {
    const w = world(10);
    const joiner = member('joiner');
    w.peers.push({ info: joiner, link: 'joiner' });
    w.gossiper.linked('joiner', joiner, false);
    await tick();
    const deltas = w.sent.filter((s) => JSON.parse(s.body.toString()).kind === 'delta');
    expect(deltas).toHaveLength(FANOUT);
    expect(new Set(deltas.map((d) => d.to)).size).toBe(FANOUT);
    expect(deltas.map((d) => d.to)).not.toContain('joiner');
    expect(new Set(deltas.map((d) => d.body)).size).toBe(1);
    expect(JSON.parse(deltas[0].body.toString()).members).toEqual([{ ...joiner, services: [] }]);
  });

  it('passes a delta on only when it was news, and learns lists and digests without passing them on', async () => {
    const w = world(10);
    w.gossiper.heard('p0', [member('far')], 'delta');
    await tick();
    const first = w.decoded().filter((m) => m.kind === 'delta');
    expect(first).toHaveLength(FANOUT);
    expect(first.map((m) => m.to)).not.toContain('p0'); // not back to whoever told us
    w.gossiper.heard('p1', [member('far')], 'delta');
    await tick();
    expect(w.decoded().filter((m) => m.kind === 'delta')).toHaveLength(FANOUT);
    w.gossiper.heard('p2', [member('listed')], 'list');
    w.gossiper.heard('p3', [member('sampled')], 'digest');
    await tick();
    expect(w.decoded().filter((m) => m.kind === 'delta')).toHaveLength(FANOUT);
    expect(w.learned).toEqual([
      { ids: ['far'], kind: 'delta' },
      { ids: ['far'], kind: 'delta' },
      { ids: ['listed'], kind: 'list' },
      { ids: ['sampled'], kind: 'digest' },
    ]);
  });

  it('sends its own entry, with services, to every direct link once per burst of changes', async () => {
    const w = world(5);
    w.gossiper.ownChanged();
    w.gossiper.ownChanged();
    await tick();
    expect(w.sent.map((s) => s.to).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(new Set(w.sent.map((s) => s.body)).size).toBe(1);
    expect(w.decoded()[0]).toMatchObject({ kind: 'self', members: [member('self')] });
  });
});

describe('a join through one seed', () => {
  const meshes: Mesh[] = [];
  const sockets = new Set<Socket>();
  const track = ({ socket }: { socket: Socket }) => void sockets.add(socket);
  subscribe('net.client.socket', track as (m: unknown) => void);
  subscribe('net.server.socket', track as (m: unknown) => void);
  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
    unsubscribe('net.client.socket', track as (m: unknown) => void);
    unsubscribe('net.server.socket', track as (m: unknown) => void);
  });

  it('12 nodes all see each other\'s services, each pair with one link, in a few hundred KB', async () => {
    const quiet = { debug() {}, info() {}, warn() {}, error() {} } as never;
    const make = (i: number, nodes: string[]) => {
      const spec = defineService<{ ping(): Promise<string> }>(`svc-${i}`, { ping: [] });
      const m = new Mesh({ name: `n${i}`, nodes, logger: quiet }).publish(createHandler(spec, { ping: async () => 'pong' }));
      meshes.push(m);
      return m;
    };
    const seed = make(0, []);
    await seed.listen('127.0.0.1:0');
    const rest = Array.from({ length: 11 }, (_, i) => make(i + 1, [seed.address!]));
    await Promise.all(rest.map((m) => m.listen('127.0.0.1:0')));
    const all = [seed, ...rest];
    const complete = () => all.every((m) => all.every((o, i) => m.services().find((s) => s.name === `svc-${i}`)?.instances.join() === o.id));
    for (let i = 0; i < 200 && !complete(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(complete()).toBe(true);
    expect(all.map((m) => m.members().length)).toEqual(all.map(() => 12));
    const bytes = [...sockets].reduce((n, s) => n + s.bytesWritten, 0);
    expect(bytes).toBeLessThan(400_000);
    for (let i = 0; i < 100 && [...sockets].filter((s) => !s.destroyed).length !== 12 * 11; i++) await new Promise((r) => setTimeout(r, 50));
    expect([...sockets].filter((s) => !s.destroyed)).toHaveLength(12 * 11); // 66 links, both ends in this process
  });
});
