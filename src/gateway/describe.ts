/**
 * Service descriptions for the gateway's OpenAPI: a node that serves a typed handler can also
 * publish a tiny `describe` endpoint for it, under the `__meta` namespace and the service's own
 * name. A call to `__meta/<service>.describe` is balanced over the nodes that serve the service,
 * so whoever answers knows its specs; membership gossip stays small (schemas are fetched once,
 * when a service appears or its contract hash changes).
 */
import type { JsonSchema, ServiceSpec } from '../core/spec.js';
import type { Endpoint } from '../core/endpoint.js';
import { MeshError } from '../core/errors.js';
import type { MeshNode, Publishable } from '../core/node.js';

export const META_NAMESPACE = '__meta';
export const DESCRIBE_METHOD = 'describe';

export interface MethodDescription {
  params: string[];
  paramsSchema?: JsonSchema;
  resultSchema?: JsonSchema;
}

export interface ServiceDescription {
  name: string;
  contractHash?: string;
  methods: Record<string, MethodDescription>;
}

export function describeSpec(spec: ServiceSpec<unknown>): ServiceDescription {
  const methods: Record<string, MethodDescription> = {};
  for (const [name, m] of Object.entries(spec.methods)) {
    const d: MethodDescription = { params: [...m.params] };
    if (m.paramsSchema) d.paramsSchema = m.paramsSchema;
    if (m.resultSchema) d.resultSchema = m.resultSchema;
    methods[name] = d;
  }
  const out: ServiceDescription = { name: spec.name, methods };
  if (spec.contractHash) out.contractHash = spec.contractHash;
  return out;
}

/** The `__meta/<service>` endpoint describing a typed handler (from createHandler or generated code). */
export function describeService(handler: { readonly spec: ServiceSpec<unknown> }): Publishable {
  const description = describeSpec(handler.spec);
  const endpoint: Endpoint = {
    handle(ctx) {
      if (ctx.method !== DESCRIBE_METHOD) {
        throw new MeshError('UNIMPLEMENTED', `${META_NAMESPACE}/${handler.spec.name} has no method "${ctx.method}"`);
      }
      return ctx.codec.encode(description);
    },
  };
  const info = { namespace: META_NAMESPACE, name: handler.spec.name, methods: [DESCRIBE_METHOD] };
  return { info, endpoint };
}

/** Publish a typed handler and its description, so gateways can put its schemas in OpenAPI. */
export function publishDescribed<N extends Pick<MeshNode, 'publish'>>(
  node: N,
  handler: Publishable & { readonly spec: ServiceSpec<unknown> },
): N {
  node.publish(handler);
  node.publish(describeService(handler));
  return node;
}
