/**
 * The figures of mesh nodes, recorded by interceptors (see families.ts for what they are
 * exported as). Each observed node keeps its own (NodeMetrics); the nodes of the process that
 * are open are the live set the process registry reads. No prom-client here: a node loads it
 * only when its metrics are served.
 */
import type { Dispatcher } from '../core/endpoint.js';
import { MeshError } from '../core/errors.js';
import type { MeshNode } from '../core/node.js';
import type { ClientInterceptor, ServerInterceptor } from '../pipeline/interceptor.js';
import { onRetry } from './call-events.js';
import { LATENCY_BUCKETS, RequestSeries } from './series.js';
import { qualifiedService } from './tracing.js';

const CODE_LABELS = ['service', 'method', 'code'] as const;

/** One node's figures. */
export class NodeMetrics {
  readonly node: MeshNode;
  readonly server = new RequestSeries(LATENCY_BUCKETS, CODE_LABELS);
  readonly client = new RequestSeries(LATENCY_BUCKETS, CODE_LABELS);
  serverInFlight = 0;
  clientInFlight = 0;
  sentBytes = 0;
  receivedBytes = 0;
  readonly retries = new Map<string, { labels: Record<string, string>; value: number }>();
  /** Peers linked right now, when the engine links to peers (the built-in mesh). */
  readonly links: (() => number) | undefined;
  readonly #dispatcher: Dispatcher | undefined;

  constructor(node: MeshNode, dispatcher?: Dispatcher, links?: () => number) {
    this.node = node;
    this.#dispatcher = dispatcher;
    this.links = links;
  }

  retried(service: string, method: string, kind: string): void {
    const key = `${service}\0${method}\0${kind}`;
    const r = this.retries.get(key);
    if (r) r.value++;
    else this.retries.set(key, { labels: { service, method, kind }, value: 1 });
  }

  /** Server interceptor: duration by service, method and code; in flight; reply bytes. */
  readonly serverInterceptor: ServerInterceptor = (ctx, next) => {
    const started = performance.now();
    this.serverInFlight++;
    return next().then(
      (out) => {
        this.serverInFlight--;
        if (out instanceof Uint8Array) this.sentBytes += out.length;
        this.#served(ctx.namespace, ctx.service, ctx.method, 'OK', started);
        return out;
      },
      (err: unknown) => {
        this.serverInFlight--;
        this.#served(ctx.namespace, ctx.service, ctx.method, MeshError.from(err).code, started);
        throw err;
      },
    );
  };

  /** Client interceptor: duration by service, method and code; in flight; reply bytes. */
  readonly clientInterceptor: ClientInterceptor = (call, next) => {
    const started = performance.now();
    this.clientInFlight++;
    const service = qualifiedService(call.target);
    const method = call.target.method;
    let p: Promise<unknown>;
    try {
      p = next();
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.then(
      (out) => {
        this.clientInFlight--;
        if (out instanceof Uint8Array) this.receivedBytes += out.length;
        this.client.observe(service, method, 'OK', (performance.now() - started) / 1000);
        return out;
      },
      (err: unknown) => {
        this.clientInFlight--;
        this.client.observe(service, method, MeshError.from(err).code, (performance.now() - started) / 1000);
        throw err;
      },
    );
  };

  #served(namespace: string, service: string, method: string, code: string, started: number): void {
    const seconds = (performance.now() - started) / 1000;
    const reg = this.#dispatcher?.lookup(namespace, service);
    if (this.#dispatcher && !reg) this.server.observe('(unknown)', '(unknown)', code, seconds);
    else if (reg?.info.methods && !reg.info.methods.includes(method)) this.server.observe(qualifiedService({ namespace, service }), '(unknown)', code, seconds);
    else this.server.observe(qualifiedService({ namespace, service }), method, code, seconds);
  }
}

/** The nodes of this process that are open, by node object. */
const live = new Map<MeshNode, NodeMetrics>();
/** Figures of any node observed in this process (a closed node's stay until it is collected). */
const byNode = new WeakMap<MeshNode, NodeMetrics>();
/** The same by node id, for events that name a node by id (retries). */
const byId = new Map<string, WeakRef<NodeMetrics>>();

/** The figures of `node`, made on first use (its interceptors are `m.serverInterceptor`, `m.clientInterceptor`). */
export function nodeMetrics(node: MeshNode, dispatcher?: Dispatcher, links?: () => number): NodeMetrics {
  let m = byNode.get(node);
  if (!m) {
    m = new NodeMetrics(node, dispatcher, links);
    byNode.set(node, m);
    byId.set(node.id, new WeakRef(m));
  }
  return m;
}

/** An open node joins the process registry. */
export function addLiveNode(m: NodeMetrics): void {
  live.set(m.node, m);
}

/** The figures of a node observed before, if any. */
export function metricsOf(node: MeshNode): NodeMetrics | undefined {
  return byNode.get(node);
}

/** A closed node leaves the process registry. */
export function forgetNode(node: MeshNode): void {
  live.delete(node);
}

/** The nodes of this process that are open. */
export function liveNodes(): MeshNode[] {
  return [...live.keys()];
}

/** Their figures. */
export function liveMetrics(): Iterable<NodeMetrics> {
  return live.values();
}

onRetry((event) => {
  if (event.nodeId === undefined || event.target === undefined) return;
  const ref = byId.get(event.nodeId);
  const m = ref?.deref();
  if (m) m.retried(qualifiedService(event.target), event.target.method, event.kind);
  else if (ref) byId.delete(event.nodeId);
});
