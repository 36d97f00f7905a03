/**
 * Serving meshrpc services under their own protos (from `meshrpc expose --proto`, or written by
 * hand). The convention a .proto must follow (docs/TRANSPORTS.md has the long form):
 *
 *  - a proto `service` matches the meshrpc service whose name equals it ignoring case, '-', '_'
 *    and '.' (`Greeter` serves `greeter`), or the one named in the `services` option;
 *  - each unary rpc matches the method of the same name ignoring case (`Greet` -> `greet`);
 *  - the request message has one field per named parameter, named exactly like it;
 *  - the response message is either `{ <T> result = 1; }` (the method's return value goes in
 *    `result`) or the returned object itself (its fields are the message's fields).
 *
 * Messages are carried to the handler as MessagePack of the decoded request object, so bytes
 * fields arrive as bytes and nothing is lost in between.
 */
import type { GrpcObject, ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import type { ServiceInfo } from '../../core/endpoint.js';
import { Failures } from '../../core/failures.js';
import { LOADER_OPTIONS } from './protos.js';

export interface ProtoMethod {
  /** The rpc name in the proto, e.g. "Greet". */
  rpc: string;
  /** The meshrpc method, e.g. "greet". */
  method: string;
  /** True when the response is `{ result }`, false when it is the returned object. */
  wrapResult: boolean;
  definition: ServiceDefinition[string];
}

export interface ProtoService {
  /** Fully qualified proto service name, e.g. "greeter.Greeter". */
  fullName: string;
  definition: ServiceDefinition;
  info: ServiceInfo;
  methods: ProtoMethod[];
}

export const normalizeName = (s: string): string => s.toLowerCase().replace(/[-_.]/g, '');

export function loadProtos(files: string | string[], includeDirs?: string[]): PackageDefinition {
  return loadSync(files, { ...LOADER_OPTIONS, includeDirs });
}

/** Every service in a package definition, by fully qualified name. */
export function servicesOf(pkg: PackageDefinition | GrpcObject): Array<{ fullName: string; definition: ServiceDefinition }> {
  const out: Array<{ fullName: string; definition: ServiceDefinition }> = [];
  for (const [name, value] of Object.entries(pkg)) {
    if (!value || typeof value !== 'object' || 'format' in value) continue; // messages and enums
    const methods = Object.values(value as Record<string, unknown>);
    if (methods.length > 0 && methods.every((m) => m && typeof m === 'object' && 'path' in (m as object))) {
      out.push({ fullName: name, definition: value as ServiceDefinition });
    }
  }
  return out;
}

/** Bind every proto service to a registered meshrpc service; anything that does not fit is one clear error. */
export function bindProtoServices(
  pkg: PackageDefinition,
  registered: ServiceInfo[],
  explicit: Record<string, string> = {},
): ProtoService[] {
  const problems: string[] = [];
  const bound: ProtoService[] = [];
  for (const { fullName, definition } of servicesOf(pkg)) {
    const short = fullName.slice(fullName.lastIndexOf('.') + 1);
    const wanted = explicit[fullName] ?? explicit[short];
    const info = registered.find((s) => (wanted !== undefined ? s.name === wanted : normalizeName(s.name) === normalizeName(short)));
    if (!info) {
      problems.push(`proto service ${fullName} matches no registered service${wanted ? ` (looked for "${wanted}")` : ''}`);
      continue;
    }
    const methods: ProtoMethod[] = [];
    for (const [rpc, def] of Object.entries(definition)) {
      if (def.requestStream || def.responseStream) {
        problems.push(`${fullName}/${rpc}: streaming rpcs are not supported`);
        continue;
      }
      const method = info.methods?.find((m) => normalizeName(m) === normalizeName(rpc)) ?? (info.methods ? undefined : rpc);
      if (method === undefined) {
        problems.push(`${fullName}/${rpc}: service "${info.name}" has no method of that name (it has ${info.methods!.join(', ')})`);
        continue;
      }
      methods.push({ rpc, method, wrapResult: isResultWrapper((def as { responseType?: { type?: unknown } }).responseType), definition: def });
    }
    bound.push({ fullName, definition, info, methods });
  }
  if (problems.length > 0) throw Failures.protoConvention({ problems });
  return bound;
}

export function isResultWrapper(type: { type?: unknown } | undefined): boolean {
  const fields = (type?.type as { field?: Array<{ name: string }> } | undefined)?.field ?? [];
  return fields.length === 1 && fields[0].name === 'result';
}
