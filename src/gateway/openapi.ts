/**
 * OpenAPI 3.1 for what the cluster serves right now: one `POST /<service>/<method>` operation per
 * method (request body: the named-arguments object; response: the result), one set of
 * operations for each published HTTP handler, and the error body. Schemas come from the
 * descriptions nodes publish for their typed handlers (src/service/describe.ts): fetched once
 * when a service appears or its contract hash changes; a service without one still gets its
 * operations, with open schemas. Named types go to `components.schemas` once, under their own
 * name, or as `<service>.<Name>` when services define the same name differently.
 */
import type { JsonSchema } from '../core/spec.js';
import type { MeshNode } from '../core/node.js';
import { DESCRIBE_METHOD, META_NAMESPACE, type ServiceDescription } from './describe.js';
import type { ServiceEntry, ServiceTable } from './services.js';

export interface OpenApiInfo {
  title?: string;
  version?: string;
  description?: string;
}

type Doc = Record<string, unknown>;

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'One of the meshrpc error codes (gRPC status names), e.g. INVALID_ARGUMENT' },
        message: { type: 'string' },
        details: { description: 'Structured details, e.g. `problems` for invalid arguments' },
      },
    },
  },
};

const ERROR_RESPONSE = {
  description: 'Error: the HTTP status follows the error code (400, 401, 403, 404, 413, 429, 500, 501, 503, 504)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export class OpenApiBuilder {
  readonly #node: MeshNode;
  readonly #table: ServiceTable;
  readonly #info: OpenApiInfo;
  /** Descriptions by service name, with the contract hash they were fetched for. */
  readonly #descriptions = new Map<string, { hash: string | undefined; description: ServiceDescription }>();
  readonly #fetching = new Map<string, Promise<void>>();

  constructor(node: MeshNode, table: ServiceTable, info: OpenApiInfo = {}) {
    this.#node = node;
    this.#table = table;
    this.#info = info;
  }

  /** Fetch descriptions of services that have one we do not hold (bounded by `timeoutMs` each). */
  refresh(timeoutMs = 2000): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const e of this.#table.all()) {
      const held = this.#descriptions.get(e.name);
      if (!e.describable || (held && held.hash === e.contractHash)) continue;
      let job = this.#fetching.get(e.name);
      if (!job) {
        job = this.#fetch(e, timeoutMs).finally(() => this.#fetching.delete(e.name));
        this.#fetching.set(e.name, job);
      }
      jobs.push(job);
    }
    return Promise.all(jobs).then(() => undefined);
  }

  async #fetch(e: ServiceEntry, timeoutMs: number): Promise<void> {
    try {
      const bytes = await this.#node.call({ namespace: META_NAMESPACE, service: e.name, method: DESCRIBE_METHOD }, Buffer.from('{}'), {
        codec: 'json',
        timeout: timeoutMs,
      });
      const description = JSON.parse(Buffer.from(bytes).toString('utf8')) as ServiceDescription;
      if (description && typeof description.methods === 'object') {
        this.#descriptions.set(e.name, { hash: e.contractHash, description });
      }
    } catch {
      // No description this time: the service still appears, with open schemas; retried on the next refresh.
    }
  }

  /** The document for the services live now. */
  async document(): Promise<Doc> {
    await this.refresh();
    const paths: Doc = {};
    const tags: Doc[] = [];
    const entries = this.#table.all().sort((a, b) => a.name.localeCompare(b.name));
    const described = new Map<string, ServiceDescription>();
    for (const e of entries) {
      const d = this.#descriptions.get(e.name)?.description;
      if (d) described.set(e.name, d);
    }
    const components = new Components(described);
    for (const e of entries) {
      tags.push({ name: e.name, description: `${e.instances} live instance(s)${e.http ? '; publishes an HTTP handler' : ''}` });
      const description = described.get(e.name);
      for (const method of [...(e.methods ?? [])].sort()) {
        const d = description?.methods?.[method];
        const params = d ? components.place(e.name, `${method}.params`, d.paramsSchema) : undefined;
        const result = d ? components.place(e.name, `${method}.result`, d.resultSchema) : undefined;
        paths[`/${e.name}/${method}`] = {
          post: {
            operationId: `${e.name}.${method}`,
            tags: [e.name],
            summary: d ? `${e.name}.${method}(${d.params.join(', ')})` : `${e.name}.${method}`,
            requestBody: {
              description: 'The named arguments',
              required: false,
              content: { 'application/json': { schema: params ?? namedArgs(d?.params) } },
            },
            responses: {
              '200': { description: 'The result', content: { 'application/json': { schema: result ?? {} } } },
              default: ERROR_RESPONSE,
            },
          },
        };
      }
      if (e.http) {
        const item: Doc = {
          parameters: [
            { name: 'path', in: 'path', required: true, description: "Path inside the service's own HTTP handler", schema: { type: 'string' } },
          ],
        };
        for (const m of HTTP_METHODS) {
          item[m] = {
            operationId: `${e.name}.http.${m}`,
            tags: [e.name],
            summary: `Forwarded to ${e.name}'s own HTTP handler`,
            responses: { default: { description: "Whatever the service's handler answers" } },
          };
        }
        paths[`/${e.name}/{path}`] = item;
      }
    }
    const schemas = components.schemas;
    return {
      openapi: '3.1.0',
      info: {
        title: this.#info.title ?? 'meshrpc gateway',
        version: this.#info.version ?? '1.0.0',
        description:
          this.#info.description ??
          'Every method of every service in the mesh, as POST /<service>/<method> with a JSON object of named arguments. Generated from the services live when this document was requested.',
      },
      tags,
      paths,
      components: { schemas },
    };
  }
}

/** An object with the named parameters, each of any type (no schema published). */
function namedArgs(params: string[] | undefined): JsonSchema {
  if (!params) return { type: 'object' };
  return { type: 'object', properties: Object.fromEntries(params.map((p) => [p, {}])) };
}

/** A JSON value as text with object keys sorted: equal schemas give equal keys. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Component names must match ^[a-zA-Z0-9._-]+$ (OpenAPI 3.1). */
const componentName = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * The document's `components.schemas`: every named type of every described service, once. A
 * type's component is its own name when every service that defines that name defines it alike
 * (shared types appear once), else `<service>.<Name>`. JSON Schema `#/$defs/X` references
 * become `#/components/schemas/<component>`, because inside OpenAPI a `#/...` reference
 * resolves against the document root.
 */
class Components {
  readonly schemas: Doc = { Error: ERROR_SCHEMA };
  /** Per service: type name → component name. */
  readonly #names = new Map<string, Map<string, string>>();

  constructor(described: ReadonlyMap<string, ServiceDescription>) {
    const defsOf = new Map<string, Map<string, unknown>>();
    const variants = new Map<string, Set<string>>(); // type name → distinct definitions
    for (const [service, d] of described) {
      const defs = new Map<string, unknown>();
      const take = (from: unknown) => {
        if (!from || typeof from !== 'object') return;
        for (const [name, def] of Object.entries(from as Doc)) if (!defs.has(name)) defs.set(name, def);
      };
      take(d.schemas);
      for (const m of Object.values(d.methods ?? {})) {
        for (const schema of [m.paramsSchema, m.resultSchema] as Array<Doc | undefined>) {
          if (schema && typeof schema === 'object') {
            take(schema.$defs);
            take(schema.definitions);
          }
        }
      }
      defsOf.set(service, defs);
      for (const [name, def] of defs) {
        let set = variants.get(name);
        if (!set) variants.set(name, (set = new Set()));
        set.add(canonical(def));
      }
    }
    for (const [service, defs] of defsOf) {
      const names = new Map<string, string>();
      for (const name of defs.keys()) {
        const shared = variants.get(name)!.size === 1 && name !== 'Error';
        names.set(name, componentName(shared ? name : `${service}.${name}`));
      }
      this.#names.set(service, names);
    }
    for (const [service, defs] of defsOf) {
      for (const [name, def] of defs) this.schemas[this.#names.get(service)!.get(name)!] = this.#rewrite(service, def, undefined);
    }
  }

  /** A method's schema for the document: its `$defs` are components, its references point there. */
  place(service: string, where: string, schema: JsonSchema | undefined): JsonSchema | undefined {
    if (!schema || typeof schema !== 'object') return undefined;
    const { $defs: _d, definitions: _defs, $schema: _s, $id: _id, ...rest } = schema as Doc;
    const self = componentName(`${service}.${where}`);
    const root = this.#rewrite(service, rest, self) as JsonSchema;
    // A schema that refers to itself ("#") is a component too.
    if (canonical(root).includes(`"#/components/schemas/${self}"`)) this.schemas[self] = root;
    return root;
  }

  #rewrite(service: string, value: unknown, self: string | undefined): unknown {
    if (Array.isArray(value)) return value.map((v) => this.#rewrite(service, v, self));
    if (!value || typeof value !== 'object') return value;
    const out: Doc = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out[k] = this.#ref(service, v, self);
      else out[k] = this.#rewrite(service, v, self);
    }
    return out;
  }

  #ref(service: string, ref: string, self: string | undefined): string {
    const m = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      return `#/components/schemas/${this.#names.get(service)?.get(name) ?? componentName(`${service}.${name}`)}`;
    }
    if (ref === '#' && self) return `#/components/schemas/${self}`;
    return ref;
  }
}
