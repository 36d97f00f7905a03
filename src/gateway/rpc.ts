/**
 * Every method, automatically: `POST /<service>/<method>` with a JSON object of named arguments.
 * The body bytes go to the mesh untouched as the call's JSON payload and the reply bytes come
 * back untouched: no parse and re-stringify on the hot path. The only check here is the first
 * byte (an object must start with `{`); malformed JSON inside fails in the service's decoder
 * with INVALID_ARGUMENT, which answers 400 like any argument problem.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MeshNode } from '../core/node.js';
import { MeshError } from '../core/errors.js';
import { Failures } from '../core/failures.js';
import { HttpError } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import { deadlineOf, metadataOf, readBody, stickyKeyOf, type DeadlinePolicy } from './request.js';
import type { ServiceTable } from './services.js';

export interface RpcRouteDeps {
  node: MeshNode;
  table: ServiceTable;
  metrics: GatewayMetrics | undefined;
  policy: DeadlinePolicy;
  bodyLimit: number;
  /** Forward to the service's HTTP handler instead (a path that is not one of its methods). */
  forward(request: FastifyRequest, reply: FastifyReply, service: string): Promise<FastifyReply>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const CODEC = { codec: 'json' as const };

/** The 404/503 for a service that has no live instance now. */
export function missingService(table: ServiceTable, service: string): MeshError {
  return table.wasSeen(service)
    ? // The gateway answers this itself over HTTP; its flag stays what it always was here.
      Failures.noLiveInstance({ service }, { notProcessed: false })
    : Failures.serviceNotInCluster({ service });
}

/** A known service without that method: UNIMPLEMENTED, as on every transport (docs/ERRORS.md). */
export function unknownMethod(service: string, method: string, methods: ReadonlySet<string> | undefined, noHttpHandler = false): MeshError {
  return Failures.unknownMethod({ service, method, methods: methods ?? [], noHttpHandler });
}

export function rpcRoute(deps: RpcRouteDeps) {
  const { node, table, metrics, policy, bodyLimit } = deps;
  return async function rpc(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { service, method } = request.params as { service: string; method: string };
    const entry = table.get(service);
    if (!entry) {
      request.meshrpc = { service: table.wasSeen(service) ? service : '(none)', method: '(unknown)' };
      throw missingService(table, service);
    }
    if (entry.methods === undefined ? entry.http : !entry.methods.has(method)) {
      // Not one of its methods: a path of its own HTTP handler, if it publishes one.
      if (entry.http) return deps.forward(request, reply, service);
      request.meshrpc = { service, method: '(unknown)' };
      throw unknownMethod(service, method, entry.methods!);
    }
    request.meshrpc = { service, method };
    const body = await readBody(request, bodyLimit);
    if (body.length > 0 && !startsLikeObject(body)) {
      throw HttpError.of(400, Failures.bodyNotObject());
    }
    const options = {
      ...CODEC,
      deadline: deadlineOf(request, policy),
      metadata: metadataOf(request),
      stickyKey: stickyKeyOf(request),
    };
    metrics?.callStarted();
    try {
      const result = await node.call(table.target(service, method), body, options);
      return reply.type(JSON_TYPE).send(Buffer.isBuffer(result) ? result : Buffer.from(result.buffer, result.byteOffset, result.length));
    } finally {
      metrics?.callEnded();
    }
  };
}

/** The first non-blank byte is `{` (or the body is blank). */
function startsLikeObject(body: Buffer): boolean {
  for (let i = 0; i < body.length; i++) {
    const b = body[i];
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === 0x7b;
  }
  return true;
}
