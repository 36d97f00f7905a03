/**
 * Service descriptions: every typed handler a node publishes (from createHandler or generated
 * code) is also served as `__meta/<service>` with one method, `describe`, answering the spec's
 * method list and JSON Schemas. Gateways call it (balanced over the nodes that serve the service)
 * to put schemas in their OpenAPI; membership gossip stays small, as schemas are fetched once,
 * when a service appears or its contract hash changes. Plain data and core types only: a service
 * process describes itself without loading the gateway (Fastify). Wire form: docs/PROTOCOL.md.
 */
import type { Dispatcher, Endpoint } from '../core/endpoint.js';
import type { Publishable } from '../core/node.js';
import type { JsonSchema, ServiceSpec } from '../core/spec.js';
import { Failures } from '../core/failures.js';

export const META_NAMESPACE = '__meta';
export const DESCRIBE_METHOD = 'describe';

export interface MethodDescription {
  params: string[];
  /** The named-arguments object; `{"$ref": "#/$defs/X"}` names `ServiceDescription.schemas.X`. */
  paramsSchema?: JsonSchema;
  resultSchema?: JsonSchema;
}

export interface ServiceDescription {
  name: string;
  contractHash?: string;
  /** Named types (JSON Schema, draft 2020-12), each once for the whole service. */
  schemas?: Record<string, JsonSchema>;
  methods: Record<string, MethodDescription>;
}

/**
 * The description of a spec. Each method schema's `$defs` move to the service's `schemas` (a
 * type used by several methods appears once); a `$defs` entry whose name is already taken by a
 * different schema stays where it was.
 */
export function describeSpec(spec: ServiceSpec<unknown>): ServiceDescription {
  const schemas: Record<string, JsonSchema> = {};
  const lift = (schema: JsonSchema | undefined): JsonSchema | undefined => {
    if (!schema || typeof schema !== 'object') return schema;
    const { $defs, ...rest } = schema as Record<string, unknown>;
    if (!$defs || typeof $defs !== 'object') return schema;
    const kept: Record<string, unknown> = {};
    for (const [name, def] of Object.entries($defs as Record<string, JsonSchema>)) {
      const held = schemas[name];
      if (held === undefined) schemas[name] = def;
      else if (JSON.stringify(held) !== JSON.stringify(def)) kept[name] = def;
    }
    return (Object.keys(kept).length > 0 ? { ...rest, $defs: kept } : rest) as JsonSchema;
  };
  const methods: Record<string, MethodDescription> = {};
  for (const [name, m] of Object.entries(spec.methods)) {
    const d: MethodDescription = { params: [...m.params] };
    const params = lift(m.paramsSchema);
    const result = lift(m.resultSchema);
    if (params) d.paramsSchema = params;
    if (result) d.resultSchema = result;
    methods[name] = d;
  }
  const out: ServiceDescription = { name: spec.name, methods };
  if (spec.contractHash) out.contractHash = spec.contractHash;
  if (Object.keys(schemas).length > 0) out.schemas = schemas;
  return out;
}

/** The `__meta/<service>` endpoint describing a typed handler. */
export function describeService(handler: { readonly spec: ServiceSpec<unknown> }): Publishable {
  const description = describeSpec(handler.spec);
  let encoded: { codec: string; bytes: Uint8Array } | undefined;
  const endpoint: Endpoint = {
    handle(ctx) {
      if (ctx.method !== DESCRIBE_METHOD) {
        throw Failures.unknownMethod({ service: `${META_NAMESPACE}/${handler.spec.name}`, method: ctx.method });
      }
      if (encoded?.codec !== ctx.codec.name) encoded = { codec: ctx.codec.name, bytes: ctx.codec.encode(description) };
      return encoded.bytes;
    },
  };
  const info = { namespace: META_NAMESPACE, name: handler.spec.name, methods: [DESCRIBE_METHOD] };
  return { info, endpoint };
}

function specOf(service: Publishable): ServiceSpec<unknown> | undefined {
  const spec = (service as { spec?: ServiceSpec<unknown> }).spec;
  return spec && typeof spec === 'object' && typeof spec.methods === 'object' ? spec : undefined;
}

/**
 * What a node's publish() does: register the service and, for a typed handler, its description
 * (a description already there, e.g. published explicitly with describeService, is kept).
 */
export function registerPublished(dispatcher: Dispatcher, service: Publishable): void {
  const { namespace, name } = service.info;
  if (namespace === META_NAMESPACE && dispatcher.lookup(namespace, name)) return;
  dispatcher.register(service.info, service.endpoint);
  const spec = specOf(service);
  if (spec && !dispatcher.lookup(META_NAMESPACE, spec.name)) {
    const described = describeService({ spec });
    dispatcher.register(described.info, described.endpoint);
  }
}
