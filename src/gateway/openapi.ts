/**
 * OpenAPI 3.1 for what the cluster serves right now: one `POST /<service>/<method>` operation per
 * method (request body: the named-arguments object; response: the result), one set of
 * operations for each published HTTP handler, and the error body. Schemas come from services
 * that publish a description (see describe.ts): fetched once when a service appears or its
 * contract hash changes, and a service without one still gets its operations with open schemas.
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
    const schemas: Doc = { Error: ERROR_SCHEMA };
    const tags: Doc[] = [];
    const entries = this.#table.all().sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      tags.push({ name: e.name, description: `${e.instances} live instance(s)${e.http ? '; publishes an HTTP handler' : ''}` });
      const described = this.#descriptions.get(e.name)?.description;
      for (const method of [...(e.methods ?? [])].sort()) {
        const d = described?.methods?.[method];
        const params = d ? hoist(d.paramsSchema, `${e.name}.${method}.params`, schemas) : undefined;
        const result = d ? hoist(d.resultSchema, `${e.name}.${method}.result`, schemas) : undefined;
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

/**
 * A JSON Schema placed inside the document: its `$defs` move to components.schemas (prefixed, so
 * services never clash) and `#/$defs/X` references are rewritten to point there, because inside
 * OpenAPI a `#/...` reference is resolved against the document root.
 */
function hoist(schema: JsonSchema | undefined, prefix: string, schemas: Doc): JsonSchema | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const { $defs, definitions, $schema: _ignored, $id: _id, ...rest } = schema as Record<string, unknown>;
  const defs = { ...(definitions as Doc | undefined), ...($defs as Doc | undefined) };
  const safe = (name: string) => `${prefix}.${name}`.replace(/[^A-Za-z0-9._-]/g, '_');
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (!value || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') {
        const m = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(v);
        out[k] = m ? `#/components/schemas/${safe(decodeURIComponent(m[1]))}` : v === '#' ? `#/components/schemas/${safe('root')}` : v;
      } else {
        out[k] = rewrite(v);
      }
    }
    return out;
  };
  for (const [name, def] of Object.entries(defs)) schemas[safe(name)] = rewrite(def);
  const root = rewrite(rest) as JsonSchema;
  if (JSON.stringify(root).includes(`#/components/schemas/${safe('root')}`)) schemas[safe('root')] = root;
  return root;
}
