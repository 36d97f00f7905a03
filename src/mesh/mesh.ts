/**
 * Mesh: the built-in service mesh node. Publish services, join a cluster through any node,
 * call services by name with load balancing, sticky sessions and failover, and close
 * gracefully. Wires together connections (one per peer), membership (who serves what), the
 * dialer (seeds, gossip, backoff) and the balancer.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Server, Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import type { CallOptions, CallTarget } from '../core/caller.js';
import { codecByName, type Codec } from '../core/codec.js';
import { CallContext, type CallerInfo } from '../core/context.js';
import { DEFAULT_NAMESPACE, type ServiceInfo } from '../core/endpoint.js';
import { MeshError } from '../core/errors.js';
import { Failures } from '../core/failures.js';
import { waitForServices, type MeshNode, type NodeCapabilities, type Publishable, type SecurityStatus, type ServiceView } from '../core/node.js';
import { authorize } from '../security/authorize.js';
import { SECRET_TRUST_DOMAIN } from '../security/secret.js';
import { resolveLinkSecurity, type LinkSecurity, type PeerIdentity } from '../security/link.js';
import { registerPublished } from '../service/describe.js';
import { Rendezvous, strategyByName, withoutSuspects, type Strategy } from '../pipeline/balancer.js';
import { Inbound, type Reply } from '../pipeline/inbound.js';
import type { NodeInterceptors } from '../pipeline/interceptor.js';
import { mayRetry, Outbound, startDeadline } from '../pipeline/outbound.js';
import { publishRetry } from '../observability/call-events.js';
import { observeNode, type Observed } from '../observability/node.js';
import { serveLocally } from '../service/local.js';
import { formatHostPort, parseHostPort } from './config.js';
import type { OpenedStream, StreamEndpoint, StreamReply } from '../core/stream.js';
import { Connection, type ConnectionHost } from './connection.js';
import { RefusalLog } from './refusals.js';
import { Dialer, reasonOf, seedHint, type DialOutcome } from './dialer.js';
import { Gossiper } from './gossip.js';
import { Membership, sameTags, serviceKey, type RouteInstance } from './membership.js';
import { resolveOptions, type MeshOptions, type ResolvedOptions } from './options.js';
import { encodeNames, gossipKind, isMemberInfo, PROTOCOL_VERSION, type Gossip, type Hello, type MemberInfo, type RequestHead } from './wire/messages.js';

export type { StreamEndpoint, OpenedStream } from '../core/stream.js';

export class Mesh implements MeshNode {
  readonly id = randomUUID();
  readonly name: string;
  readonly codec: Codec;
  readonly options: ResolvedOptions;
  readonly capabilities: NodeCapabilities = { streams: true, members: true };
  readonly #inbound = new Inbound();
  readonly #outbound: Outbound;
  readonly #streamEndpoints = new Map<string, StreamEndpoint>();
  readonly #membership: Membership<Connection>;
  readonly #conns = new Set<Connection>();
  /** Pending handshakes; settled with why one failed (see Dialer's seed warnings). */
  readonly #handshakes = new Map<Connection, (ok: boolean, reason?: string) => void>();
  readonly #strategy: Strategy;
  readonly #sticky = new Rendezvous();
  readonly #listeners = new Set<() => void>();
  #fingerprint = '';
  #server: Server | undefined;
  #dialer: Dialer | undefined;
  #state: 'new' | 'running' | 'closing' | 'closed' = 'new';
  #closing: Promise<void> | undefined;
  #address: string | undefined;
  #links: LinkSecurity | undefined;
  #starting = false;
  /** Calls this node serves to itself come from itself. */
  #self: CallerInfo;
  readonly #observed: Observed;
  readonly #gossip = new Gossiper<Connection>({
    self: () => this.#membership.self,
    peers: () => this.#membership.linked(),
    send: (conn, body) => conn.sendGossip(body),
    // A list is from the node we join through: dial at once. Anything else names a member that
    // usually dials us itself (it had us in its list): wait a little so the dials do not cross.
    learn: (members, kind) => this.#dialer?.learn(this.#membership.dialTargets(members), kind === 'list' ? 0 : GOSSIP_DIAL_DELAY),
  });

  constructor(options: MeshOptions) {
    this.options = resolveOptions(options);
    this.name = this.options.name;
    this.#self = { name: this.name, id: this.id };
    this.codec = codecByName(this.options.codec);
    this.#outbound = new Outbound(this.options.defaultTimeout);
    this.#strategy = strategyByName(this.options.strategy);
    // Outermost of the node's server interceptors: no other code runs for a refused call.
    if (this.options.authorization) this.#inbound.use(authorize(this.options.authorization));
    this.#membership = new Membership<Connection>({
      id: this.id,
      name: this.name,
      addr: null,
      tags: this.options.tags,
      services: [],
      version: 0,
    });
    // Tracing and metrics next, before any interceptor of the user's (docs/OBSERVABILITY.md).
    this.#observed = observeNode(this, { transport: 'mesh', dispatcher: this.#inbound.dispatcher, links: () => this.#conns.size, log: (level, msg, extra) => this.#log(level, msg, extra) });
  }

  /** The address peers can dial, once listening. */
  get address(): string | undefined {
    return this.#address;
  }

  use(interceptors: NodeInterceptors): this {
    if (interceptors.server) this.#inbound.use(...interceptors.server);
    if (interceptors.client) this.#outbound.use(...interceptors.client);
    return this;
  }

  publish(service: Publishable): this {
    this.#assertMayPublish(service.info.namespace, service.info.name);
    registerPublished(this.#inbound.dispatcher, service); // a typed handler also gets its __meta description
    this.#servicesChanged();
    return this;
  }

  /** Publish a byte-stream endpoint under a service name (the gateway forwards HTTP over these). */
  publishStream(name: string, endpoint: StreamEndpoint, namespace = DEFAULT_NAMESPACE): this {
    const key = serviceKey(namespace, name);
    if (this.#streamEndpoints.has(key)) throw Failures.streamEndpointExists({ key });
    this.#assertMayPublish(namespace, name);
    this.#streamEndpoints.set(key, endpoint);
    this.#servicesChanged();
    return this;
  }

  async listen(address?: string | number): Promise<void> {
    if (this.#state !== 'new' || this.#starting) throw Failures.listenCalledTwice();
    this.#starting = true;
    const { tls, clusterSecret, insecure } = this.options;
    const links = await resolveLinkSecurity({ tls, clusterSecret, insecure, name: this.name, handshakeTimeout: this.options.handshakeTimeout, log: (level, msg, extra) => this.#log(level, msg, extra) });
    try {
      if (this.#state !== 'new') throw Failures.nodeClosed({ why: 'this mesh node was closed while it started' });
      if (this.options.authorization && !links.identity) {
        throw Failures.policyNeedsTls();
      }
      if (this.options.authorization && links.identity?.trustDomain === SECRET_TRUST_DOMAIN) {
        throw Failures.policyNeedsCertificates();
      }
      for (const s of this.#membership.self.services) this.#assertMayPublish(s.namespace, s.name, links.rights);
    } catch (err) {
      links.close();
      throw err;
    }
    this.#links = links;
    this.#self = { name: this.name, id: this.id, identity: links.identity };
    this.#state = 'running';
    const where = address ?? this.options.listen;
    if (where !== undefined) await this.#startServer(where);
    this.#dialer = new Dialer({
      seeds: this.options.seeds,
      resolveInterval: this.options.resolveInterval,
      backoffBase: 100,
      backoffMax: 5000,
      forgetAfter: 8,
      dial: (addr) => this.#dial(addr),
      isLinked: (addr) => this.#isLinked(addr),
      log: (level, msg, extra) => this.#log(level, msg, extra),
    });
    this.#gossip.start();
    await this.#dialer.start();
    await this.#observed.opened();
  }

  waitFor(services: string | readonly string[], timeoutMs = this.options.defaultTimeout): Promise<void> {
    return waitForServices(this, services, timeoutMs, () => seedHint(this.#dialer, this.#conns.size));
  }

  services(): ServiceView[] {
    return this.#membership.services();
  }

  /** Mutual TLS or plaintext, this node's identity and its certificate's end (undefined before listen()). */
  security(): SecurityStatus | undefined {
    const links = this.#links;
    if (!links) return undefined;
    const cert = links.certificateStatus();
    return {
      mode: links.mode,
      ...(links.identity && { identity: links.identity.uri }),
      ...(cert && { certificate: { notAfter: cert.notAfter.toISOString(), expiresSoon: cert.expiresSoon } }),
    };
  }

  /** This node and every peer it is linked to. */
  members(): MemberInfo[] {
    return this.#membership.snapshot();
  }

  onServicesChanged(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  call(target: CallTarget, payload: Uint8Array, options?: CallOptions): Promise<Uint8Array> {
    if (this.#state === 'closed') return Promise.reject(Failures.nodeClosed({ why: 'this mesh node is closed' }));
    return this.#outbound.call(target, payload, options, this.#send);
  }

  /** Pick an instance and send; a call no handler took is tried on another instance (mayRetry). */
  readonly #send = async (target: CallTarget, payload: Uint8Array, options: CallOptions, deadline: number): Promise<Uint8Array> => {
    const head: RequestHead = {
      namespace: target.namespace ?? DEFAULT_NAMESPACE,
      service: target.service,
      method: target.method,
      timeout: deadline - Date.now(),
      metadata: options.metadata,
    };
    const codecId = options.codec ? codecByName(options.codec).id : this.codec.id;
    const names = this.#namesOf(target, head);
    let excluded: Set<string> | undefined;
    for (let attempt = 0; ; attempt++) {
      const inst = this.#pick(head.namespace, head.service, options.stickyKey, excluded);
      try {
        if (!inst.link) return await serveLocally(this.#inbound, target, payload, options, deadline, this.codec, this.#self);
        return await inst.link.request(head, codecId, payload, options.signal, names);
      } catch (err) {
        if (!mayRetry(err, attempt)) throw err;
        publishRetry({ nodeId: this.id, target, attempt: attempt + 1, error: err, kind: 'failover', instance: inst.id });
        (excluded ??= new Set()).add(inst.id);
        head.timeout = deadline - Date.now();
        if (head.timeout <= 0) throw Failures.deadlineWhileRetrying(undefined, { cause: err });
      }
    }
  };

  /** Open a byte stream to one instance of a service's stream endpoint. */
  openStream(target: CallTarget, head: Uint8Array, options?: CallOptions): OpenedStream {
    let deadline: number;
    let inst: RouteInstance<Connection>;
    const namespace = target.namespace ?? DEFAULT_NAMESPACE;
    try {
      deadline = startDeadline(options, this.#outbound.defaultTimeout);
      inst = this.#pick(namespace, target.service, options?.stickyKey, undefined);
    } catch (err) {
      return failedStream(err);
    }
    const reqHead: RequestHead = { namespace, service: target.service, method: target.method, timeout: deadline - Date.now(), metadata: options?.metadata };
    if (inst.link) return inst.link.openStream(reqHead, head, options?.signal);
    // Our own instance: the same endpoint and pipeline, through an in-process pipe.
    const body = new PassThrough();
    const ctx = new CallContext({ ...reqHead, metadata: { ...reqHead.metadata }, deadline, codec: this.codec, transportSignal: options?.signal, caller: this.#self });
    const reply = new Promise<{ head: Uint8Array; body: Readable }>((resolve, reject) =>
      this.#serveStream(ctx, head, body, (err, r) => (err ? reject(err) : resolve({ head: r!.head, body: toReadable(r!.body) }))),
    );
    return {
      write: async (c) => {
        if (!body.write(c)) await once(body, 'drain');
      },
      end: async () => {
        body.end();
      },
      reply,
    };
  }

  close(): Promise<void> {
    if (!this.#closing) {
      this.#observed.closing();
      this.#closing = this.#drainAndClose().finally(() => this.#observed.closed());
    }
    return this.#closing;
  }

  // ---- what connections ask of the mesh (a private object: none of it is the node's API) ----

  readonly #host: ConnectionHost = {
    hello: () => this.#hello(),
    onHello: (conn, hello) => this.#onHello(conn, hello),
    onGossip: (conn, gossip) => this.#onGossip(conn, gossip),
    onGoaway: (conn) => this.#onGoaway(conn),
    onClose: (conn, err) => this.#onClose(conn, err),
    serve: (ctx, payload, reply) => this.#inbound.serve(ctx, payload, reply),
    serveStream: (ctx, head, body, reply) => this.#serveStream(ctx, head, body, reply),
    log: (level, msg, extra) => this.#log(level, msg, extra),
  };

  #hello(): Hello {
    const self = this.#membership.self;
    const port = this.#address ? parseHostPort(this.#address).port : null;
    // With no link yet this node is joining: the node it reaches answers with its member list.
    return { ...self, protocol: PROTOCOL_VERSION, maxFrame: this.options.maxFrameSize, port, join: this.#conns.size === 0 };
  }

  #onHello(conn: Connection, hello: Hello): boolean {
    const settle = this.#handshakes.get(conn);
    this.#handshakes.delete(conn);
    if (hello.id === this.id) {
      if (conn.dialedAddr) this.#dialer?.markSelf(conn.dialedAddr);
      settle?.(false);
      return false;
    }
    if (!sameTags(hello.tags, this.options.tags) || this.#state !== 'running') {
      this.#log('info', 'refusing peer', { peer: hello.name, tags: hello.tags, ours: this.options.tags, state: this.#state });
      if (conn.dialedAddr) this.#dialer?.refused(conn.dialedAddr);
      settle?.(false, this.#state !== 'running' ? 'this node is closing' : `its cluster tags [${hello.tags.join(',')}] differ from ours [${this.options.tags.join(',')}]`);
      return false;
    }
    const claimed = conn.identity && this.#membership.linksOf(hello.id).find((l) => l.identity?.uri !== conn.identity!.uri);
    if (claimed) {
      // An instance id is bound to the identity that first linked with it: no second certificate can speak for it.
      this.#log('warn', 'refusing peer: its instance id is linked under another identity', { peer: hello.name, id: hello.id, identity: conn.identity!.uri, linkedAs: claimed.identity?.uri ?? 'plaintext' });
      settle?.(false, 'its instance id is linked under another identity');
      return false;
    }
    const remoteHost = (conn.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const addr = hello.addr ?? (hello.port !== null ? formatHostPort({ host: remoteHost, port: hello.port }) : null);
    const info = this.#permitted(conn, { id: hello.id, name: hello.name, addr, tags: hello.tags, services: hello.services, version: hello.version });
    this.#conns.add(conn);
    this.#linkedAddrs = undefined;
    const existing = this.#membership.linksOf(hello.id)[0];
    if (existing) {
      this.#secondLink(conn, existing, info);
    } else {
      this.#membership.addLink(info, conn);
      this.#log('debug', 'peer joined', { peer: hello.name, id: hello.id, addr });
      this.#gossip.linked(conn, info, hello.join === true);
    }
    this.#notify();
    settle?.(true);
    return true;
  }

  /**
   * A second link to a linked peer (both ends dialed at once): one link per pair, chosen alike at
   * both ends: the one the smaller id dialed. The other is retired without losing a call. When
   * one node dialed both, that node retires its second one.
   */
  #secondLink(conn: Connection, old: Connection, info: MemberInfo): void {
    const dialerOf = (c: Connection) => (c.outbound ? this.id : info.id);
    const crossed = dialerOf(conn) !== dialerOf(old);
    const keepNew = crossed && dialerOf(conn) === (this.id < info.id ? this.id : info.id);
    if (keepNew) {
      this.#membership.addLink(info, conn);
      this.#membership.removeLink(info.id, old);
    } else {
      this.#membership.update(info);
    }
    const spare = keepNew ? old : conn;
    if (crossed || spare.outbound) this.#retire(spare);
  }

  /** GOAWAY on a spare link (the peer acks after every call it sent on it), then close it once idle. */
  #retire(conn: Connection): void {
    this.#log('debug', 'retiring a second link to a peer', { peer: conn.peerLabel });
    const until = Date.now() + this.options.drainTimeout;
    void conn.goaway().then(async () => {
      while ((conn.servedCount > 0 || conn.inFlight > 0) && Date.now() < until) await sleep(50);
      conn.close();
    });
  }

  #onGossip(conn: Connection, gossip: Gossip): void {
    if (!gossip || !Array.isArray(gossip.members)) return;
    const members = gossip.members.filter(isMemberInfo);
    if (members.length < gossip.members.length) {
      this.#log('warn', 'ignoring malformed gossip entries', { peer: conn.peerLabel, dropped: gossip.members.length - members.length });
    }
    // What a member serves is taken only from the member itself, over its own link: an entry
    // about anyone else only tells where to dial (that link then proves who answers).
    const from = conn.peer!.id;
    const own = members.find((m) => m.id === from);
    if (own && this.#membership.update(this.#permitted(conn, own))) {
      this.#linkedAddrs = undefined; // its entry may name another address
      this.#notify();
    }
    this.#gossip.heard(from, members.filter((m) => m.id !== from), gossipKind(gossip));
  }

  #onGoaway(conn: Connection): void {
    const spare = conn.peer && !this.#membership.linksOf(conn.peer.id).includes(conn);
    this.#log('debug', spare ? 'peer retires a second link' : 'peer is draining', { peer: conn.peerLabel });
    this.#membership.rebuild();
    this.#notify();
  }

  #onClose(conn: Connection, err: MeshError | undefined): void {
    const settle = this.#handshakes.get(conn);
    this.#handshakes.delete(conn);
    settle?.(false, `the link closed during the handshake${err ? ` (${err.message})` : ''}`);
    if (!this.#conns.delete(conn)) return;
    this.#linkedAddrs = undefined;
    if (conn.peer) this.#membership.removeLink(conn.peer.id, conn);
    if (conn.dialedAddr) this.#dialer?.lost(conn.dialedAddr);
    this.#log('debug', 'peer link closed', { peer: conn.peerLabel, reason: err?.message });
    this.#notify();
  }

  /** A byte stream through the inbound path, ending at the published stream endpoint. */
  #serveStream(ctx: CallContext, head: Uint8Array, body: Readable, reply: Reply<StreamReply>): void {
    this.#inbound.serveWith(ctx, body, this.#streamEndpoint(head), reply);
  }

  #streamEndpoint(head: Uint8Array) {
    return (ctx: CallContext, body: Readable): Promise<StreamReply> => {
      const endpoint = this.#streamEndpoints.get(serviceKey(ctx.namespace, ctx.service));
      if (!endpoint) return Promise.reject(Failures.noStreamEndpoint({ service: ctx.service }));
      return endpoint.handleStream(ctx, head, body);
    };
  }

  /** A peer's own entry with only the services its certificate lets it publish (all, on plaintext links). */
  #permitted(conn: Connection, info: MemberInfo): MemberInfo {
    const rights = conn.identity?.rights;
    if (!rights) return info;
    const allowed: ServiceInfo[] = [];
    const refused: string[] = [];
    for (const s of info.services) {
      if (rights.allows(s.namespace, s.name)) allowed.push(s);
      else refused.push(serviceKey(s.namespace, s.name));
    }
    if (refused.length === 0) return info;
    this.#log('warn', 'ignoring services the peer\'s certificate does not name', { peer: conn.peerLabel, identity: rights.identity.uri, refused, mayPublish: rights.describe() });
    return { ...info, services: allowed };
  }

  #assertMayPublish(namespace: string | undefined, name: string, rights = this.#links?.rights): void {
    if (!rights || rights.allows(namespace, name)) return;
    throw Failures.mayNotPublish({ identity: rights.identity.uri, name: rights.identity.name, service: serviceKey(namespace, name), mayPublish: rights.describe() });
  }

  #log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, extra?: object): void {
    this.options.logger[level]({ node: this.name, ...extra }, msg);
  }

  // ---- internals ----

  /** Encoded names per call target: typed clients reuse one target object per method. */
  readonly #names = new WeakMap<CallTarget, Buffer>();

  #namesOf(target: CallTarget, head: RequestHead): Buffer {
    let names = this.#names.get(target);
    if (!names) {
      names = encodeNames(head.namespace, head.service, head.method);
      this.#names.set(target, names);
    }
    return names;
  }

  #pick(namespace: string, service: string, stickyKey: string | undefined, excluded: Set<string> | undefined): RouteInstance<Connection> {
    let instances = this.#membership.instances(namespace, service);
    if (excluded) instances = instances.filter((i) => !excluded.has(i.id));
    instances = withoutSuspects(instances);
    if (instances.length === 0) {
      if (this.#membership.wasSeen(namespace, service)) {
        throw Failures.noLiveInstance({ service });
      }
      throw Failures.serviceNotInCluster({ service });
    }
    const ctx = { service, stickyKey };
    return stickyKey !== undefined ? this.#sticky.select(instances, ctx) : this.#strategy.select(instances, ctx);
  }

  #servicesChanged(): void {
    const services: ServiceInfo[] = this.#inbound.dispatcher.services().map((s) => ({ ...s }));
    for (const key of this.#streamEndpoints.keys()) {
      const existing = services.find((s) => serviceKey(s.namespace, s.name) === key);
      if (existing) existing.http = true;
      else {
        const slash = key.indexOf('/');
        services.push(slash === -1 ? { namespace: DEFAULT_NAMESPACE, name: key, http: true } : { namespace: key.slice(0, slash), name: key.slice(slash + 1), http: true });
      }
    }
    this.#membership.setOwnServices(services);
    this.#gossip.ownChanged();
    this.#notify();
  }

  #notify(): void {
    const fp = this.#membership.fingerprint();
    if (fp === this.#fingerprint) return;
    this.#fingerprint = fp;
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (err) {
        this.#log('warn', 'services listener threw', { error: (err as Error).message });
      }
    }
  }

  async #startServer(where: string | number): Promise<void> {
    const { host, port } = typeof where === 'number' ? { host: '0.0.0.0', port: where } : parseHostPort(where);
    this.#links!.assertCanListen(host);
    const server = this.#links!.createServer((socket, identity) => this.#accept(socket, identity));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.#log('warn', 'listener error', { error: err.message }));
    server.maxConnections = this.options.maxConnections;
    const refused = new RefusalLog(this.options.maxConnections, (msg, extra) => this.#log('warn', msg, extra));
    server.on('drop', (data) => refused.refused(data?.remoteAddress));
    this.#server = server;
    const bound = server.address();
    const actualPort = typeof bound === 'object' && bound ? bound.port : port;
    this.#address = formatHostPort({ host, port: actualPort });
    const wildcard = host === '0.0.0.0' || host === '::';
    const adv = this.options.advertise;
    this.#membership.self.addr = adv
      ? formatHostPort(parseHostPort(adv, adv, actualPort))
      : wildcard
        ? null
        : this.#address;
  }

  #accept(socket: Socket, identity: PeerIdentity): void {
    if (this.#state !== 'running') {
      socket.destroy();
      return;
    }
    const conn = this.#newConnection(socket, false, identity);
    this.#handshakes.set(conn, () => {});
  }


  #newConnection(socket: Socket, outbound: boolean, identity: PeerIdentity, addr?: string): Connection {
    return new Connection(socket, outbound, this.#host, this.options, identity, addr);
  }

  #dial(addr: string): Promise<DialOutcome> {
    if (this.#state !== 'running') return Promise.resolve({ ok: false, reason: 'this node is closing' });
    const { host, port } = parseHostPort(addr, '127.0.0.1');
    try {
      this.#links!.assertCanDial(host);
    } catch (err) {
      // The dialer warns about a seed with this reason, at its own bounded rate.
      return Promise.resolve({ ok: false, reason: (err as Error).message });
    }
    return new Promise((resolve) => {
      const { connectTimeout } = this.options;
      let reason = 'the connection closed';
      let timedOut = false;
      const socket = this.#links!.connect(host, port, (linked, identity) => {
        const conn = this.#newConnection(linked, true, identity, addr);
        this.#handshakes.set(conn, (ok, why) => {
          clearTimeout(timer);
          resolve(ok ? { ok: true } : { ok: false, reason: timedOut ? reason : (why ?? reason) });
        });
      });
      // The connect timeout covers the TLS handshake too: a peer that stalls it is dropped.
      const timer = setTimeout(() => {
        timedOut = true;
        reason = socket.readyState === 'open' ? `connected, but no handshake within ${connectTimeout} ms` : `no answer within ${connectTimeout} ms`;
        socket.destroy();
      }, connectTimeout);
      timer.unref();
      socket.once('error', (err) => (reason = reasonOf(err)));
      socket.once('close', () => {
        clearTimeout(timer);
        resolve({ ok: false, reason });
      });
    });
  }

  /** Addresses our links reach, rebuilt only after links change: the dialer asks for every target ten times a second. */
  #linkedAddrs: Set<string> | undefined;

  #isLinked(addr: string): boolean {
    if (!this.#linkedAddrs) {
      this.#linkedAddrs = new Set();
      for (const c of this.#conns) {
        if (c.dialedAddr) this.#linkedAddrs.add(c.dialedAddr);
        const peerAddr = c.peer && this.#membership.peer(c.peer.id)?.addr;
        if (peerAddr) this.#linkedAddrs.add(peerAddr);
      }
    }
    if (this.#linkedAddrs.has(addr)) return true;
    for (const c of this.#handshakes.keys()) if (c.dialedAddr === addr) return true;
    return false;
  }

  async #drainAndClose(): Promise<void> {
    if (this.#state === 'new') {
      this.#state = 'closed';
      return;
    }
    this.#state = 'closing';
    this.#dialer?.stop();
    this.#gossip.stop();
    this.#server?.close();
    this.#links?.close();
    const until = Date.now() + this.options.drainTimeout;
    // Peers acknowledge GOAWAY after every request they sent us before it, so once all have
    // answered, nothing new can arrive; then wait for what we are still serving.
    await Promise.race([Promise.all([...this.#conns].map((c) => c.goaway())), sleep(this.options.drainTimeout)]);
    await this.#inbound.drain(until - Date.now());
    for (const c of [...this.#conns]) c.close();
    for (const c of [...this.#handshakes.keys()]) c.close();
    this.#state = 'closed';
    this.#notify();
  }
}

/** Mean wait (ms, ±50%) before dialing an address a delta or digest named (see the Gossiper's learn). */
const GOSSIP_DIAL_DELAY = 2000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function toReadable(body: StreamReply['body']): Readable {
  const out = new PassThrough();
  if (!body) {
    out.end();
    return out;
  }
  (async () => {
    for await (const chunk of body) if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
    out.end();
  })().catch((err) => out.destroy(err));
  return out;
}

function failedStream(err: unknown): OpenedStream {
  const reply = Promise.reject(err);
  reply.catch(() => {});
  return { write: () => Promise.reject(err), end: () => Promise.reject(err), reply };
}
