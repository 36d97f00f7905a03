/**
 * Service descriptions for the gateway's OpenAPI. A node describes every typed handler it
 * publishes by itself (src/service/describe.ts: `__meta/<service>.describe`), so services need
 * nothing from this module; it re-exports those pieces for gateway code and keeps
 * `publishDescribed` for code written before nodes described their handlers.
 */
import type { MeshNode, Publishable } from '../core/node.js';
import type { ServiceSpec } from '../core/spec.js';
import { describeService } from '../service/describe.js';

export {
  DESCRIBE_METHOD,
  META_NAMESPACE,
  describeService,
  describeSpec,
  type MethodDescription,
  type ServiceDescription,
} from '../service/describe.js';

/** Publish a typed handler and its description. `node.publish(handler)` alone now does both. */
export function publishDescribed<N extends Pick<MeshNode, 'publish'>>(
  node: N,
  handler: Publishable & { readonly spec: ServiceSpec<unknown> },
): N {
  node.publish(handler);
  node.publish(describeService(handler));
  return node;
}
