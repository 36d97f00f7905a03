/**
 * What this node gossips, to whom and when: a joining node gets the member list once from the
 * node it joined through; a newly linked member's address spreads as a small delta to a few
 * random peers, each of which passes it on only when it was new there; a node's own service
 * changes go to its direct links as its own entry only; and a slow anti-entropy round (one
 * random peer, a bounded random sample of linked members) heals deltas that were missed.
 *
 * Why this shape: gossiping the whole member list to every link on every join sent each entry
 * O(N²) times per join storm (gigabytes at 50 nodes). Here a join costs the seed one list per
 * joiner and everyone else O(fanout) small messages per new member; at rest, one bounded digest
 * per node per interval, whatever N. Every body is encoded once, however many links it goes to.
 *
 * Entries about third parties carry no services (`services: []`): what a member serves is taken
 * only from the member itself over its own link (its HELLO, its own entry), so sending them would
 * be bytes nobody reads.
 */
import { encodeJson, type Gossip, type GossipKind, type MemberInfo } from './wire/messages.js';

/** Peers each new member's address is sent to (and passed on to, by each who did not know it). */
export const FANOUT = 3;
/** Entries per GOSSIP message: a list larger than this goes out in several. */
export const MAX_ENTRIES = 64;
/** Entries in an anti-entropy digest. */
export const DIGEST_ENTRIES = 16;
/** Mean time between anti-entropy rounds (jittered ±50%). */
export const ANTI_ENTROPY_MS = 5000;
/** Member ids remembered as "heard of" (so a delta is passed on once, not forever). */
const HEARD_LIMIT = 4096;

/** What the gossiper needs of the node it runs in. */
export interface GossipHost<L> {
  /** This node's own entry (with its services). */
  self(): MemberInfo;
  /** Linked peers, each with the one link gossip to it goes over. */
  peers(): { info: MemberInfo; link: L }[];
  send(link: L, body: Buffer): void;
  /**
   * Addresses to dial. From a `list` (we are joining), at once; from a delta or digest, after a
   * short random wait, since the member they name usually dials us first (it got us in its list)
   * and two crossing dials would make a second link to retire.
   */
  learn(members: MemberInfo[], kind: GossipKind): void;
}

/** A member's address entry, without its services. */
export function addressOf(m: MemberInfo): MemberInfo {
  return { id: m.id, name: m.name, addr: m.addr, tags: m.tags, services: [], version: m.version };
}

/** Up to n distinct items picked at random (partial Fisher-Yates). */
export function sample<T>(items: readonly T[], n: number, random = Math.random): T[] {
  const a = [...items];
  const k = Math.min(n, a.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, k);
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class Gossiper<L> {
  readonly #host: GossipHost<L>;
  /** Ids of members heard of (linked or not), oldest first, bounded. */
  readonly #heard = new Set<string>();
  /** Deltas to spread at the end of this loop iteration, with who need not get them. */
  #pending: { entry: MemberInfo; skip: Set<string> }[] = [];
  #flushScheduled = false;
  #ownScheduled = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(host: GossipHost<L>) {
    this.#host = host;
  }

  start(): void {
    const round = () => {
      this.#timer = setTimeout(() => {
        this.#antiEntropy();
        round();
      }, ANTI_ENTROPY_MS * (0.5 + Math.random()));
      this.#timer.unref();
    };
    round();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  /** A new member linked to us: send it our list if it asked (it is joining), and spread its address. */
  linked(link: L, member: MemberInfo, wantsList: boolean): void {
    this.#remember(member.id);
    if (wantsList) {
      const list = this.#host.peers().filter((p) => p.info.id !== member.id && p.info.addr).map((p) => addressOf(p.info));
      for (const part of chunks(list, MAX_ENTRIES)) this.#host.send(link, encode('list', part));
    }
    if (member.addr) this.#spread(addressOf(member), [member.id]);
  }

  /**
   * Entries about other members arrived from `from`: dial those not heard of before, and pass a
   * delta on when it was news here. A list's or a digest's entries are not passed on: they name
   * members already linked to the sender, not news, and forwarding them would make each join
   * cost O(N²) entries again.
   */
  heard(from: string, others: readonly MemberInfo[], kind: GossipKind): void {
    const selfId = this.#host.self().id;
    const named = others.filter((m) => m.id !== selfId);
    // All go to the dialer (which skips what it knows): a member forgotten after failed dials
    // may be reachable again when a later message names it.
    if (named.length > 0) this.#host.learn(named, kind);
    const fresh = named.filter((m) => !this.#heard.has(m.id));
    for (const m of fresh) this.#remember(m.id);
    if (kind !== 'delta') return;
    for (const m of fresh) if (m.addr) this.#spread(addressOf(m), [m.id, from]);
  }

  /** Our services changed: our own entry to every direct link, once per burst, encoded once. */
  ownChanged(): void {
    if (this.#ownScheduled) return;
    this.#ownScheduled = true;
    setImmediate(() => {
      this.#ownScheduled = false;
      const peers = this.#host.peers();
      if (peers.length === 0) return;
      const body = encode('self', [this.#host.self()]);
      for (const p of peers) this.#host.send(p.link, body);
    });
  }

  #spread(entry: MemberInfo, skip: string[]): void {
    this.#pending.push({ entry, skip: new Set(skip) });
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  /** The deltas of one loop iteration go to FANOUT random peers together, so they are encoded once. */
  #flush(): void {
    this.#flushScheduled = false;
    const pending = this.#pending;
    this.#pending = [];
    const skip = new Set(pending.flatMap((p) => [...p.skip]));
    const targets = sample(this.#host.peers().filter((p) => !skip.has(p.info.id)), FANOUT);
    if (targets.length === 0) return;
    for (const part of chunks(pending.map((p) => p.entry), MAX_ENTRIES)) {
      const body = encode('delta', part);
      for (const t of targets) this.#host.send(t.link, body);
    }
  }

  #antiEntropy(): void {
    const peers = this.#host.peers();
    const [to] = sample(peers, 1);
    if (!to) return;
    const digest = sample(peers.filter((p) => p !== to && p.info.addr), DIGEST_ENTRIES).map((p) => addressOf(p.info));
    if (digest.length > 0) this.#host.send(to.link, encode('digest', digest));
  }

  #remember(id: string): void {
    this.#heard.delete(id);
    this.#heard.add(id);
    if (this.#heard.size > HEARD_LIMIT) this.#heard.delete(this.#heard.values().next().value!);
  }
}

function encode(kind: GossipKind, members: MemberInfo[]): Buffer {
  const gossip: Gossip = { kind, members };
  return encodeJson(gossip);
}
