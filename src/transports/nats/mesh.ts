/**
 * NatsMesh: the MeshNode contract over NATS, for deployments that outgrow the built-in TCP mesh.
 * Services are queue-group subscriptions (NATS balances among instances); discovery is periodic
 * announcements on `<prefix>._mesh.announce` with expiry (see discovery.ts); a sticky key picks
 * one instance by rendezvous hashing and calls it on its private subject
 * `<prefix>._inst.<node id>.<namespace>.<service>.<method>`. close() stops announcing, says bye,
 * unsubscribes, drains in-flight calls, then drains the connection. Byte streams (the gateway
 * forwarding HTTP to a published handler) run over plain messages, see stream.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { CallOptions, CallTarget } from '../../core/caller.js';
import { codecByName, type Codec, type CodecName } from '../../core/codec.js';
import { DEFAULT_NAMESPACE, type ServiceInfo } from '../../core/endpoint.js';
import { MeshError } from '../../core/errors.js';
import { Failures } from '../../core/failures.js';
import { waitForServices, type MemberSummary, type MeshNode, type NodeCapabilities, type Publishable, type ServiceView } from '../../core/node.js';
import type { OpenedStream, StreamEndpoint } from '../../core/stream.js';
import { registerPublished } from '../../service/describe.js';
import { Rendezvous } from '../../pipeline/balancer.js';
import { Inbound } from '../../pipeline/inbound.js';
import type { NodeInterceptors } from '../../pipeline/interceptor.js';
import { DEFAULT_TIMEOUT, Outbound } from '../../pipeline/outbound.js';
import { observeNode, type Observed } from '../../observability/node.js';
import { DEFAULT_STOP_TIMEOUT } from '../../pipeline/server.js';
import { type Announcement, ServiceTable } from './discovery.js';
import { connectNats } from './connect.js';
import { natsRequest } from './request.js';
import type { NatsSecurityOptions } from './security.js';
import { serveMsg, stopServing } from './serve.js';
import { isStreamOpen, openNatsStream, serveNatsStream } from './stream.js';
import { DEFAULT_PREFIX, queueOf, serviceWildcard, SubjectCache, token, untoken } from './wire.js';

/** TLS and authentication (`tls`, `user`/`pass`, `token`, `creds`, `nkey`, `authenticator`, or MESHRPC_NATS_* variables) as for NatsServer. */
export interface NatsMeshOptions extends NatsSecurityOptions {
  name: string;
  /** NATS URL(s). Default: MESHRPC_TRANSPORT when it is a nats:// URL, else NATS_URL, else 127.0.0.1:4222. */
  servers?: string | string[];
  /** Use an existing connection (close() leaves it open). */
  connection?: NatsConnection;
  prefix?: string;
  codec?: CodecName;
  /** Deadline of calls that set none. Default 30 s. */
  defaultTimeout?: number;
  /** How often this node announces its services. Default 1 s; peers expire it after 3.5 intervals. */
  announceInterval?: number;
  /** How long close() waits for in-flight calls. Default 10 s. */
  drainTimeout?: number;
}

export class NatsMesh implements MeshNode {
  readonly id = randomUUID();
  readonly name: string;
  readonly codec: Codec;
  /** Byte streams run over plain messages (stream.ts); members are the nodes whose announcements are live. */
  readonly capabilities: NodeCapabilities = { streams: true, members: false };
  readonly #subjects: SubjectCache;
  readonly #o: Required<Omit<NatsMeshOptions, keyof NatsSecurityOptions | 'connection' | 'servers' | 'codec'>> & Pick<NatsMeshOptions, 'connection' | 'servers'>;
  readonly #security: NatsSecurityOptions;
  readonly #inbound = new Inbound();
  readonly #outbound: Outbound;
  /** Stream endpoints by "<namespace>/<name>". */
  readonly #streams = new Map<string, StreamEndpoint>();
  readonly #table = new ServiceTable();
  readonly #sticky = new Rendezvous();
  readonly #listeners = new Set<() => void>();
  readonly #serviceSubs: Subscription[] = [];
  #subs: Subscription[] = [];
  #nc: NatsConnection | undefined;
  #owned = false;
  #state: 'new' | 'running' | 'closing' | 'closed' = 'new';
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  readonly #observed: Observed;

  constructor(options: NatsMeshOptions) {
    this.name = options.name;
    this.codec = codecByName(options.codec);
    this.#o = {
      name: options.name,
      servers: options.servers,
      connection: options.connection,
      prefix: options.prefix ?? DEFAULT_PREFIX,
      defaultTimeout: options.defaultTimeout ?? DEFAULT_TIMEOUT,
      announceInterval: options.announceInterval ?? 1000,
      drainTimeout: options.drainTimeout ?? DEFAULT_STOP_TIMEOUT,
    };
    this.#security = options;
    this.#subjects = new SubjectCache(this.#o.prefix);
    this.#outbound = new Outbound(this.#o.defaultTimeout);
    // Tracing and metrics first, before any interceptor of the user's (docs/OBSERVABILITY.md).
    this.#observed = observeNode(this, { transport: 'nats', dispatcher: this.#inbound.dispatcher });
  }

  /** Interceptors for the calls this node serves (`server`) and makes (`client`). */
  use(interceptors: NodeInterceptors): this {
    if (interceptors.server) this.#inbound.use(...interceptors.server);
    if (interceptors.client) this.#outbound.use(...interceptors.client);
    return this;
  }

  get connection(): NatsConnection | undefined {
    return this.#nc;
  }

  /** Where other nodes reach this one: the NATS server it is connected to, once listening. */
  get address(): string | undefined {
    const server = this.#nc?.getServer();
    return server ? (server.includes('://') ? server : `nats://${server}`) : undefined;
  }

  publish(service: Publishable): this {
    if (this.#state === 'closing' || this.#state === 'closed') throw Failures.nodeClosing();
    const before = new Set(this.#inbound.dispatcher.services());
    registerPublished(this.#inbound.dispatcher, service); // a typed handler also gets its __meta description
    if (this.#state === 'running') {
      for (const info of this.#inbound.dispatcher.services()) if (!before.has(info)) this.#subscribeService(info);
      this.#announce();
    }
    return this;
  }

  /** Publish a byte-stream endpoint under a service name (the gateway forwards HTTP over these). */
  publishStream(name: string, endpoint: StreamEndpoint, namespace = DEFAULT_NAMESPACE): this {
    if (this.#state === 'closing' || this.#state === 'closed') throw Failures.nodeClosing();
    const key = `${namespace}/${name}`;
    if (this.#streams.has(key)) throw Failures.streamEndpointExists({ key });
    this.#streams.set(key, endpoint);
    if (this.#state === 'running') {
      this.#subscribeStream(namespace, name);
      this.#announce();
    }
    return this;
  }

  /** Open a byte stream to one instance of a service's stream endpoint (NATS's queue group picks it). */
  openStream(target: CallTarget, head: Uint8Array, options?: CallOptions): OpenedStream {
    const nc = this.#nc;
    if (!nc || this.#state === 'closed' || this.#state === 'new') {
      const err = Failures.nodeClosed({ why: this.#state === 'new' ? 'call listen() first' : undefined });
      const reply = Promise.reject(err);
      reply.catch(() => {});
      return { write: () => Promise.reject(err), end: () => Promise.reject(err), reply };
    }
    const namespace = target.namespace ?? DEFAULT_NAMESPACE;
    const p = this.#o.prefix;
    let subject = `${p}._stream.${token(namespace)}.${token(target.service)}.${token(target.method)}`;
    if (options?.stickyKey !== undefined) {
      const ids = this.#table.instances(target.service, namespace, (s) => s.http === true);
      if (ids.length > 0) {
        const inst = this.#sticky.select(ids.map((id) => ({ id, inFlight: 0 })), { service: target.service, stickyKey: options.stickyKey });
        subject = `${p}._inst.${inst.id}.${token(namespace)}.${token(target.service)}.${token(target.method)}`;
      }
    }
    return openNatsStream(nc, subject, head, options, this.#o.defaultTimeout);
  }

  /** Connect and join. An address, when given as a nats:// URL, names the server to use. */
  async listen(address?: string | number): Promise<void> {
    if (this.#state !== 'new') throw Failures.listenCalledTwice();
    this.#state = 'running';
    try {
      if (this.#o.connection) this.#nc = this.#o.connection;
      else {
        const servers = typeof address === 'string' && /^nats:\/\//.test(address) ? address : this.#o.servers ?? defaultServers();
        this.#nc = await connectNats(servers, `meshrpc-${this.name}`, this.#security);
        this.#owned = true;
      }
    } catch (err) {
      this.#state = 'closed';
      throw err; // coded by connectNats
    }
    const nc = this.#nc;
    const p = this.#o.prefix;
    const on = (fn: (msg: Msg) => void) => ({
      callback: (err: Error | null, msg: Msg) => {
        if (!err) fn(msg);
      },
    });
    this.#subs.push(
      nc.subscribe(`${p}._mesh.announce`, on((msg) => this.#onAnnounce(msg))),
      nc.subscribe(`${p}._mesh.query`, on(() => this.#announce())),
      nc.subscribe(`${p}._inst.${this.id}.>`, on((msg) => this.#onDirect(msg))),
    );
    for (const info of this.#inbound.dispatcher.services()) this.#subscribeService(info);
    for (const key of this.#streams.keys()) {
      const slash = key.indexOf('/');
      this.#subscribeStream(key.slice(0, slash), key.slice(slash + 1));
    }
    this.#announce();
    nc.publish(`${p}._mesh.query`);
    this.#timer = setInterval(() => {
      this.#announce();
      if (this.#table.sweep()) this.#notify();
    }, this.#o.announceInterval);
    this.#timer.unref();
    await nc.flush();
    await this.#observed.opened();
  }

  waitFor(services: string | readonly string[], timeoutMs = this.#o.defaultTimeout): Promise<void> {
    return waitForServices(this, services, timeoutMs);
  }

  services(): ServiceView[] {
    return this.#table.services();
  }

  members(): MemberSummary[] {
    const nodes = this.#table.nodes();
    return nodes.some((n) => n.id === this.id) ? nodes : [{ id: this.id, name: this.name }, ...nodes];
  }

  onServicesChanged(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  call(target: CallTarget, payload: Uint8Array, options?: CallOptions): Promise<Uint8Array> {
    if (!this.#nc || this.#state === 'closed') {
      return Promise.reject(Failures.nodeClosed({ why: this.#state === 'new' ? 'call listen() first' : undefined }));
    }
    return this.#outbound.call(target, payload, options, this.#send);
  }

  readonly #send = async (target: CallTarget, payload: Uint8Array, options: CallOptions, deadline: number): Promise<Uint8Array> => {
    const nc = this.#nc!;
    const namespace = target.namespace ?? DEFAULT_NAMESPACE;
    let subject = this.#subjects.of(target, DEFAULT_NAMESPACE);
    if (options?.stickyKey !== undefined) {
      const ids = this.#table.instances(target.service, namespace);
      if (ids.length > 0) {
        const inst = this.#sticky.select(ids.map((id) => ({ id, inFlight: 0 })), { service: target.service, stickyKey: options.stickyKey });
        subject = `${this.#o.prefix}._inst.${inst.id}.${token(namespace)}.${token(target.service)}.${token(target.method)}`;
      }
    }
    try {
      return await natsRequest(nc, subject, payload, options, deadline, this.codec);
    } catch (err) {
      if (err instanceof MeshError && err.code === 'UNAVAILABLE' && err.notProcessed && this.#table.instances(target.service, namespace).length === 0) {
        throw Failures.serviceNotInCluster({ service: target.service }, { cause: err, notProcessed: true });
      }
      throw err;
    }
  };

  close(): Promise<void> {
    if (!this.#closing) {
      this.#observed.closing();
      this.#closing = this.#drainAndClose().finally(() => this.#observed.closed());
    }
    return this.#closing;
  }

  async #drainAndClose(): Promise<void> {
    if (this.#state === 'new') {
      this.#state = 'closed';
      return;
    }
    this.#state = 'closing';
    clearInterval(this.#timer);
    const nc = this.#nc!;
    if (!nc.isClosed()) {
      // Stop taking calls first, so queue groups route new ones to the other instances.
      const stopped = stopServing(nc, this.#serviceSubs.splice(0));
      this.#publishAnnouncement({ id: this.id, name: this.name, services: [], interval: this.#o.announceInterval, bye: true });
      await Promise.all([stopped, nc.flush().catch(() => {})]);
    }
    await this.#inbound.drain(this.#o.drainTimeout);
    for (const sub of this.#subs.splice(0)) sub.unsubscribe();
    if (this.#owned && !nc.isClosed()) await nc.drain().catch(() => nc.close());
    this.#state = 'closed';
    if (this.#table.apply({ id: this.id, name: this.name, services: [], interval: 0, bye: true })) this.#notify();
  }

  /** A byte stream counts for drain like a call (streams do not pass the server interceptors yet). */
  #run = <T>(fn: () => Promise<T>) => this.#inbound.track(fn);

  #subscribeService(info: ServiceInfo): void {
    const { namespace, name } = info;
    const p = this.#o.prefix;
    this.#serviceSubs.push(
      this.#nc!.subscribe(serviceWildcard(p, namespace, name), {
        queue: queueOf(p, namespace, name),
        callback: (err, msg) => {
          if (!err) serveMsg(msg, namespace, name, this.#inbound);
        },
      }),
    );
  }

  /** `<prefix>._stream.<ns>.<service>.*`, in a queue group per service: instances share streams. */
  #subscribeStream(namespace: string, name: string): void {
    const p = this.#o.prefix;
    this.#serviceSubs.push(
      this.#nc!.subscribe(`${p}._stream.${token(namespace)}.${token(name)}.*`, {
        queue: `${p}._stream.${token(namespace)}.${token(name)}`,
        callback: (err, msg) => {
          if (!err) this.#serveStream(msg, namespace, name, untoken(msg.subject.slice(msg.subject.lastIndexOf('.') + 1)));
        },
      }),
    );
  }

  #serveStream(msg: Msg, namespace: string, service: string, method: string): void {
    serveNatsStream(this.#nc!, msg, { namespace, service, method }, this.#streams.get(`${namespace}/${service}`), this.#run, this.#o.defaultTimeout);
  }

  /** A call or stream addressed to this instance: `<prefix>._inst.<id>.<ns>.<service>.<method>`. */
  #onDirect(msg: Msg): void {
    if (this.#state !== 'running') return; // no reply: the caller's retry or deadline takes over
    const parts = msg.subject.split('.');
    const n = parts.length;
    const [namespace, service, method] = [untoken(parts[n - 3]), untoken(parts[n - 2]), untoken(parts[n - 1])];
    if (isStreamOpen(msg)) this.#serveStream(msg, namespace, service, method);
    else serveMsg(msg, namespace, service, this.#inbound, method);
  }

  #onAnnounce(msg: Msg): void {
    let ann: Announcement;
    try {
      ann = JSON.parse(Buffer.from(msg.data).toString('utf8')) as Announcement;
    } catch {
      return;
    }
    if (!ann || typeof ann.id !== 'string' || !Array.isArray(ann.services)) return;
    if (this.#table.apply(ann)) this.#notify();
  }

  #announce(): void {
    if (this.#state !== 'running') return;
    this.#publishAnnouncement({ id: this.id, name: this.name, services: this.#ownServices(), interval: this.#o.announceInterval });
  }

  /** Published services, stream endpoints marked `http` (merged into the service of the same name). */
  #ownServices(): ServiceInfo[] {
    const services = this.#inbound.dispatcher.services();
    if (this.#streams.size === 0) return services;
    const out = services.map((s) => ({ ...s }));
    for (const key of this.#streams.keys()) {
      const slash = key.indexOf('/');
      const [namespace, name] = [key.slice(0, slash), key.slice(slash + 1)];
      const same = out.find((s) => s.namespace === namespace && s.name === name);
      if (same) same.http = true;
      else out.push({ namespace, name, http: true });
    }
    return out;
  }

  #publishAnnouncement(ann: Announcement): void {
    const nc = this.#nc;
    if (!nc || nc.isClosed()) return;
    // Apply our own at once: our services are visible here even before the echo arrives.
    if (this.#table.apply(ann)) this.#notify();
    try {
      nc.publish(`${this.#o.prefix}._mesh.announce`, JSON.stringify(ann));
    } catch {
      // disconnected and the buffer is full: the next interval tries again
    }
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch {
        // a listener's failure is its own
      }
    }
  }
}

function defaultServers(): string {
  const t = process.env.MESHRPC_TRANSPORT;
  if (t && /^nats:\/\//.test(t)) return t;
  return process.env.NATS_URL ?? '127.0.0.1:4222';
}
