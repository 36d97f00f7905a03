/**
 * Who is in the cluster and which instances serve each service. Pure state: the mesh feeds it
 * events (a peer finished its handshake, updated its services, drained, went away; gossip
 * arrived) and reads routing tables and dial targets out of it. No sockets, no timers.
 *
 * A peer is routable only while this node holds a live, non-draining link to it, so a dead or
 * draining instance leaves the routing table the moment its link closes or says GOAWAY.
 */
import { DEFAULT_NAMESPACE, type ServiceInfo } from '../core/endpoint.js';
import type { ServiceView } from '../core/node.js';
import type { Instance } from '../pipeline/balancer.js';
import type { MemberInfo } from './wire/messages.js';

/** What membership needs to know of a link (a Connection in the mesh, anything in tests). */
export interface Link {
  readonly routable: boolean;
  readonly inFlight: number;
  /** Routable, but better avoided for new calls right now (silent, or not being read). */
  readonly suspect: boolean;
}

export interface RouteInstance<L extends Link> extends Instance {
  /** The link to reach it, or undefined for this node's own instance. */
  readonly link: L | undefined;
}

interface Peer<L extends Link> {
  info: MemberInfo;
  links: L[];
}

interface ServiceEntry<L extends Link> {
  info: ServiceInfo;
  instances: RouteInstance<L>[];
}

export function serviceKey(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === DEFAULT_NAMESPACE ? name : `${namespace}/${name}`;
}

export function sameTags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((t, i) => t === sb[i]);
}

export class Membership<L extends Link> {
  readonly self: MemberInfo;
  readonly #peers = new Map<string, Peer<L>>();
  #routes = new Map<string, ServiceEntry<L>>();
  /** Every service ever seen, so a call to one with no instance left is UNAVAILABLE, not NOT_FOUND. */
  readonly #seen = new Map<string, ServiceInfo>();

  constructor(self: MemberInfo) {
    this.self = self;
    this.rebuild();
  }

  /** This node publishes a service: bump the version peers compare. */
  setOwnServices(services: ServiceInfo[]): void {
    this.self.services = services;
    this.self.version++;
    this.rebuild();
  }

  /** A handshake finished: the peer and its link join (the mesh keeps one link per peer, see Mesh#secondLink). */
  addLink(info: MemberInfo, link: L): void {
    const peer = this.#peers.get(info.id);
    if (peer) {
      if (info.version >= peer.info.version) peer.info = info;
      peer.links.push(link);
    } else {
      this.#peers.set(info.id, { info, links: [link] });
    }
    this.rebuild();
  }

  removeLink(id: string, link: L): void {
    const peer = this.#peers.get(id);
    if (!peer) return;
    peer.links = peer.links.filter((l) => l !== link);
    if (peer.links.length === 0) this.#peers.delete(id);
    this.rebuild();
  }

  /** A peer told us (directly or by gossip) about a newer version of a member we are linked to. */
  update(info: MemberInfo): boolean {
    const peer = this.#peers.get(info.id);
    if (!peer || info.version <= peer.info.version) return false;
    peer.info = info;
    this.rebuild();
    return true;
  }

  /** The links to a member (empty when not linked). */
  linksOf(id: string): readonly L[] {
    return this.#peers.get(id)?.links ?? [];
  }

  has(id: string): boolean {
    return id === this.self.id || this.#peers.has(id);
  }

  peer(id: string): MemberInfo | undefined {
    return this.#peers.get(id)?.info;
  }

  /** Linked peers, each with its first link (the one gossip goes over). */
  linked(): { info: MemberInfo; link: L }[] {
    return [...this.#peers.values()].map((p) => ({ info: p.info, link: p.links[0] }));
  }

  /** Ourselves and every peer we are linked to. */
  snapshot(): MemberInfo[] {
    return [this.self, ...[...this.#peers.values()].map((p) => p.info)];
  }

  /** Addresses from gossip worth dialing: same tags, not us, not already linked. */
  dialTargets(members: readonly MemberInfo[]): string[] {
    const out: string[] = [];
    for (const m of members) {
      if (m.addr && !this.has(m.id) && sameTags(m.tags, this.self.tags)) out.push(m.addr);
    }
    return out;
  }

  /** Rebuild the routing table; cheap enough because membership changes are rare next to calls. */
  rebuild(): void {
    const routes = new Map<string, ServiceEntry<L>>();
    const add = (info: ServiceInfo, inst: RouteInstance<L>) => {
      const key = serviceKey(info.namespace, info.name);
      let entry = routes.get(key);
      if (!entry) {
        entry = { info, instances: [] };
        routes.set(key, entry);
      }
      entry.instances.push(inst);
      this.#seen.set(key, info);
    };
    for (const info of this.self.services) add(info, { id: this.self.id, inFlight: 0, link: undefined });
    for (const [id, peer] of this.#peers) {
      const link = peer.links.find((l) => l.routable);
      if (!link) continue;
      const inst: RouteInstance<L> = {
        id,
        link,
        get inFlight() {
          return link.inFlight;
        },
        get suspect() {
          return link.suspect;
        },
      };
      for (const info of peer.info.services) add(info, inst);
    }
    // Stable order, so round robin and rendezvous see the same list on every node.
    for (const entry of routes.values()) entry.instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.#routes = routes;
  }

  /** Live instances of a service (empty when none). */
  instances(namespace: string | undefined, name: string): readonly RouteInstance<L>[] {
    return this.#routes.get(serviceKey(namespace, name))?.instances ?? [];
  }

  wasSeen(namespace: string | undefined, name: string): boolean {
    return this.#seen.has(serviceKey(namespace, name));
  }

  services(): ServiceView[] {
    return [...this.#routes.values()].map((e) => ({ ...e.info, instances: e.instances.map((i) => i.id) }));
  }

  /** A fingerprint of the routing table, to tell listeners only about real changes. */
  fingerprint(): string {
    return [...this.#routes.entries()].map(([k, e]) => `${k}:${e.instances.map((i) => i.id).join(',')}`).sort().join(';');
  }
}
