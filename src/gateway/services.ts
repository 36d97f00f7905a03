/**
 * The gateway's view of the cluster: which services exist (default namespace), their methods,
 * whether they publish an HTTP handler, and whether they can describe themselves. Rebuilt from
 * `node.services()` whenever the node says the set changed, so routes appear and disappear
 * without a restart; the request path only does Map lookups here.
 */
import type { CallTarget } from '../core/caller.js';
import { DEFAULT_NAMESPACE } from '../core/endpoint.js';
import type { MeshNode, ServiceView } from '../core/node.js';
import { META_NAMESPACE } from './describe.js';

export interface ServiceEntry {
  name: string;
  /** Method names; undefined for a byte-level endpoint that did not list them. */
  methods: Set<string> | undefined;
  /** Publishes a plain HTTP handler the gateway forwards to. */
  http: boolean;
  /** Also publishes `__meta/<name>` (schemas for OpenAPI). */
  describable: boolean;
  contractHash: string | undefined;
  instances: number;
}

export class ServiceTable {
  readonly #node: MeshNode;
  #entries = new Map<string, ServiceEntry>();
  /** Every service ever seen: one with no instance left answers 503, an unknown one 404. */
  readonly #seen = new Map<string, ServiceEntry>();
  /** One CallTarget object per (service, method): the mesh caches their encoded names by identity. */
  readonly #targets = new Map<string, CallTarget>();
  readonly #listeners = new Set<() => void>();
  readonly #unsubscribe: () => void;

  constructor(node: MeshNode) {
    this.#node = node;
    this.#unsubscribe = node.onServicesChanged(() => this.refresh());
    this.refresh();
  }

  refresh(): void {
    const views: ServiceView[] = this.#node.services();
    const entries = new Map<string, ServiceEntry>();
    const meta = new Set<string>();
    for (const v of views) {
      if (v.namespace === META_NAMESPACE) {
        if (v.instances.length > 0) meta.add(v.name);
        continue;
      }
      if (v.namespace !== DEFAULT_NAMESPACE || v.instances.length === 0) continue;
      entries.set(v.name, {
        name: v.name,
        methods: v.methods ? new Set(v.methods) : undefined,
        http: v.http === true,
        describable: false,
        contractHash: v.contractHash,
        instances: v.instances.length,
      });
    }
    for (const e of entries.values()) {
      e.describable = meta.has(e.name);
      this.#seen.set(e.name, e);
    }
    this.#entries = entries;
    for (const listener of [...this.#listeners]) listener();
  }

  get(name: string): ServiceEntry | undefined {
    return this.#entries.get(name);
  }

  /** Known once but without a live instance now. */
  wasSeen(name: string): boolean {
    return this.#seen.has(name);
  }

  all(): ServiceEntry[] {
    return [...this.#entries.values()];
  }

  target(service: string, method: string): CallTarget {
    const key = `${service}\u0000${method}`;
    let t = this.#targets.get(key);
    if (!t) {
      t = { service, method };
      // Bounded: only targets of known services' known methods are cached (see rpc.ts).
      this.#targets.set(key, t);
    }
    return t;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }
}
