/**
 * The built-in mesh (or NATS-as-mesh: any MeshNode) as a container server: services registered
 * here are published on the node, start() joins the cluster, stop() is the node's graceful close
 * (peers route elsewhere, in-flight calls drain). Namespaces follow the container's rule.
 */
import type { Endpoint, ServiceInfo } from '../core/endpoint.js';
import type { MeshNode } from '../core/node.js';
import { checkNamespace, checkRegistered, toEndpoint, type EndpointFn, type Server } from '../pipeline/server.js';

export class MeshServer implements Server {
  readonly node: MeshNode;
  readonly #address: string | number | undefined;
  readonly #namespaces = new Set<string>();

  /** `address`: where the node accepts peers (passed to listen); omit to use the node's default. */
  constructor(node: MeshNode, address?: string | number) {
    this.node = node;
    this.#address = address;
  }

  registerNamespace(namespace: string): void {
    checkNamespace(namespace);
    this.#namespaces.add(namespace);
  }

  registerService(namespace: string, service: string, endpoint: Endpoint | EndpointFn, info: Partial<ServiceInfo> = {}): void {
    checkRegistered(this.#namespaces.has(namespace), namespace, service);
    this.node.publish({ info: { ...info, namespace, name: service }, endpoint: toEndpoint(endpoint) });
  }

  start(): Promise<void> {
    return this.node.listen(this.#address);
  }

  stop(): Promise<void> {
    return this.node.close();
  }
}
