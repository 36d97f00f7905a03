/**
 * What a mesh node (the built-in Mesh, NatsMesh) installs when it is made: the tracing and
 * metrics interceptors, before any `node.use(...)` of yours (the mesh's authorization policy,
 * when set, runs before them: a refused call runs no other code).
 * Each is installed only when it will do something, because an interceptor that only calls
 * `next()` still costs the chain on every call:
 *
 * - tracing when an OpenTelemetry SDK is registered (start it before making nodes, as
 *   OpenTelemetry asks; a node made earlier takes `node.use(tracingInterceptors())`);
 * - metrics when MESHRPC_METRICS_ADDR is set (the node then serves them there once it
 *   listens). Its NodeMetrics exists either way, so the gateway's registry and the retry
 *   counter find the node's links and figures (`nodeMetrics(node)`).
 */
import type { Dispatcher } from '../core/endpoint.js';
import type { MeshNode } from '../core/node.js';
import { addLiveNode, forgetNode, liveNodes, nodeMetrics, type NodeMetrics } from './metrics.js';
import type { MetricsServer } from './metrics-server.js';
import { tracingActive, tracingInterceptors } from './tracing.js';

export interface ObserveOptions {
  /** `meshrpc.transport` on its spans. */
  transport: string;
  dispatcher: Dispatcher;
  /** Live peer links, for engines that link to peers. */
  links?: () => number;
  /** How the node logs a metrics endpoint that could not start. */
  log?: (level: 'warn' | 'info', msg: string, extra?: object) => void;
}

/** The node's side of its observability: tell it when the node opens and closes. */
export interface Observed {
  readonly metrics: NodeMetrics;
  /** Its calls are recorded (MESHRPC_METRICS_ADDR was set when it was made). */
  readonly recording: boolean;
  /** The node listens: it joins the process's metrics (and starts the endpoint if asked). */
  opened(): Promise<void>;
  /** The node began closing: /readyz answers 503. */
  closing(): void;
  /** The node closed: it leaves the process's metrics. */
  closed(): Promise<void>;
}

/** Read here, not from metrics-server.ts, which loads only when metrics are served. */
export const METRICS_ADDR_ENV = 'MESHRPC_METRICS_ADDR';

const closingNodes = new Set<MeshNode>();
let endpoint: Promise<MetricsServer | undefined> | undefined;

/** Where this process serves its metrics (MESHRPC_METRICS_ADDR, once a node listens), if it does. */
export async function metricsAddress(): Promise<string | undefined> {
  return (await endpoint)?.address;
}

export function observeNode(node: MeshNode, options: ObserveOptions, env: NodeJS.ProcessEnv = process.env): Observed {
  if (tracingActive()) node.use(tracingInterceptors({ transport: options.transport }));
  const addr = env[METRICS_ADDR_ENV];
  const metrics = nodeMetrics(node, options.dispatcher, options.links);
  const recording = Boolean(addr);
  if (recording) node.use({ server: [metrics.serverInterceptor], client: [metrics.clientInterceptor] });
  return {
    metrics,
    recording,
    async opened() {
      if (!recording) return;
      addLiveNode(metrics);
      if (addr && !endpoint) {
        endpoint = import('./metrics-server.js').then(({ startMetricsServer }) =>
          startMetricsServer(addr, { ready: () => liveNodes().length > 0 && closingNodes.size === 0 })).then(
          (server) => {
            options.log?.('info', `metrics at http://${server.address}/metrics`, { address: server.address });
            return server;
          },
          (err: Error) => {
            options.log?.('warn', `cannot serve metrics on ${METRICS_ADDR_ENV}=${addr}: ${err.message}`, { address: addr });
            return undefined;
          },
        );
      }
      await endpoint;
    },
    closing() {
      if (recording) closingNodes.add(node);
    },
    async closed() {
      if (!recording) return;
      closingNodes.delete(node);
      forgetNode(node);
      if (liveNodes().length === 0 && endpoint) {
        const stopping = endpoint;
        endpoint = undefined;
        await (await stopping)?.close();
      }
    },
  };
}
