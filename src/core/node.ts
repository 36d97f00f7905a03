/**
 * MeshNode: what every mesh implementation offers (the built-in TCP mesh, and NATS used as the
 * mesh). Typed clients, the gateway and the Microservice container depend on this interface
 * only, so a deployment swaps the engine with one setting (MESHRPC_TRANSPORT) and no code.
 */
import type { NodeInterceptors } from '../pipeline/interceptor.js';
import type { Caller, CallOptions, CallTarget } from './caller.js';
import type { Endpoint, ServiceInfo } from './endpoint.js';
import type { OpenedStream } from './stream.js';
import { Failures } from './failures.js';
import { timerDelay } from './timers.js';

/** A service as the cluster sees it: published info plus how many live instances it has. */
export interface ServiceView extends ServiceInfo {
  /** Ids of the nodes that currently serve it (this node's own id included when it publishes it). */
  instances: string[];
}

export interface Publishable {
  readonly info: ServiceInfo;
  readonly endpoint: Endpoint;
}

/** What a node can do beyond calls, so users of any engine (the gateway) ask instead of probing. */
export interface NodeCapabilities {
  /** `openStream` works: byte streams to published stream endpoints (HTTP forwarding). */
  readonly streams: boolean;
  /** `members()` lists the nodes this one is linked to; false when it only infers them from what they serve. */
  readonly members: boolean;
}

/** How a node's links are secured, for health endpoints and logs. */
export interface SecurityStatus {
  /** `tls`: mutual TLS on every link; `plaintext`: loopback or knowingly insecure. */
  readonly mode: 'tls' | 'plaintext';
  /** This node's identity (spiffe URI), with TLS. */
  readonly identity?: string;
  /** When this node's certificate stops being valid, and whether that is soon (the last third of its life). */
  readonly certificate?: { readonly notAfter: string; readonly expiresSoon: boolean };
}

/** One node of the cluster as another sees it. */
export interface MemberSummary {
  id: string;
  name: string;
}

export interface MeshNode extends Caller {
  /** Unique id of this node (random per process). */
  readonly id: string;
  /** Logical name of this node, e.g. "greeter" or "gateway". */
  readonly name: string;
  /** Serve a typed handler (from createHandler or generated code) or a byte-level endpoint. */
  publish(service: Publishable): this;
  /** Join the cluster; with an address, also accept peers on it. */
  listen(address?: string | number): Promise<void>;
  /** Resolve when every named service has at least one live instance; reject with DEADLINE_EXCEEDED otherwise. */
  waitFor(services: string | readonly string[], timeoutMs?: number): Promise<void>;
  /** Every service known in the cluster right now. */
  services(): ServiceView[];
  /** Called whenever the set of services or their instances changes; returns an unsubscribe function. */
  onServicesChanged(listener: () => void): () => void;
  /** Graceful stop: refuse new calls, let peers route elsewhere, drain in-flight calls, then close. */
  close(): Promise<void>;
  readonly capabilities: NodeCapabilities;
  /** Interceptors around the calls this node serves (`server`) and makes (`client`); see pipeline/interceptor.ts. */
  use(interceptors: NodeInterceptors): this;
  /** The nodes of the cluster this node knows, itself included. */
  members(): MemberSummary[];
  /** Open a byte stream to one instance of a service's stream endpoint (when `capabilities.streams`). */
  openStream?(target: CallTarget, head: Uint8Array, options?: CallOptions): OpenedStream;
  /** How this node's own links are secured (engines whose links it secures itself; after listen()). */
  security?(): SecurityStatus | undefined;
}

/** What an engine can add to a waitFor timeout about why nothing arrived (e.g. seeds not reached). */
export interface WaitForHint {
  text: string;
  /** Goes into the error's details next to `missing`. */
  unreachable?: readonly object[];
}

/**
 * Resolve when every named service has a live instance on `node`; reject with
 * DEADLINE_EXCEEDED naming the missing ones after `timeoutMs`, plus what `hint` says about
 * reaching the cluster (details: `missing`, and `unreachable` from the hint). Shared by every
 * MeshNode.
 */
export function waitForServices(
  node: Pick<MeshNode, 'services' | 'onServicesChanged'>,
  services: string | readonly string[],
  timeoutMs: number,
  hint?: () => WaitForHint | undefined,
): Promise<void> {
  const names = typeof services === 'string' ? [services] : [...services];
  const missing = () => {
    const live = new Set(node.services().filter((s) => s.instances.length > 0).map((s) => s.name));
    return names.filter((n) => !live.has(n));
  };
  if (missing().length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      const absent = missing();
      reject(Failures.waitForTimedOut({ missing: absent, afterMs: timeoutMs, why: hint?.() }));
    }, timerDelay(timeoutMs));
    const off = node.onServicesChanged(() => {
      if (missing().length > 0) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
