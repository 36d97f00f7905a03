/**
 * gRPC as a container server (@grpc/grpc-js): the seed's generic contract
 * `rpc.MessageService/Command(RPCMessage{Namespace, Data}) -> RPCResponse{Data, Error}` for every
 * registered endpoint, plus each service under its own proto (see proto-services.ts for the
 * convention), plus grpc.health.v1. `grpc-timeout` becomes the call's deadline, a client cancel
 * cancels the call's context, errors are gRPC statuses with the same code numbers.
 *
 * Which endpoint Command runs: metadata `meshrpc-service` (and `meshrpc-method`, `meshrpc-codec`)
 * name it; without them, a Namespace of "ns/service[/method]" does; failing that, a namespace
 * holding exactly one service runs that one (the seed's "greeter" namespace with its "hello").
 */
import { Server as GrpcJsServer, type ChannelOptions, type ServerCredentials, type Metadata as GrpcMetadata, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { codecByName, type CodecName } from '../../core/codec.js';
import { CallContext, type Metadata } from '../../core/context.js';
import { DEFAULT_NAMESPACE } from '../../core/endpoint.js';
import { Failures } from '../../core/failures.js';
import { readMetadata } from '../../pipeline/metadata.js';
import { DEFAULT_STOP_TIMEOUT, DispatchServer, type StopOptions } from '../../pipeline/server.js';
import type { EngineTlsFiles } from '../engine-credentials.js';
import { Health } from './health.js';
import { loadProtoRoot, wireServiceDefinition } from './proto-json.js';
import { bindProtoServices, loadProtos, type ProtoService } from './proto-services.js';
import { grpcServerCredentials } from './security.js';
import { GENERIC_SERVICE, HEALTH_SERVICE, healthServiceDefinition, messageServiceDefinition, type RPCMessage, type RPCResponse } from './protos.js';
import { toStatus } from './status.js';

export interface GrpcServerOptions {
  /** "host:port"; port 0 picks a free one (see `port`). Default 127.0.0.1:50051. */
  address?: string;
  /** .proto files following the meshrpc convention, served next to the generic contract. */
  protos?: string[];
  includeDirs?: string[];
  /** Proto service (full or short name) -> meshrpc service name, where names do not match. */
  protoServices?: Record<string, string>;
  /**
   * TLS from PEM files (MESHRPC_GRPC_TLS_CA / _CERT / _KEY): `cert` and `key` serve TLS; `ca`
   * too makes it mutual (clients must present a certificate that CA signed). See security.ts.
   */
  tls?: EngineTlsFiles;
  /** grpc-js server credentials of your own; they win over `tls`. */
  credentials?: ServerCredentials;
  channelOptions?: ChannelOptions;
}

export class GrpcServer extends DispatchServer {
  readonly #options: GrpcServerOptions;
  readonly health = new Health();
  #server: GrpcJsServer | undefined;
  #port: number | undefined;
  #bound: ProtoService[] = [];

  constructor(options: GrpcServerOptions = {}) {
    super();
    this.#options = options;
  }

  /** The port bound by start(). */
  get port(): number | undefined {
    return this.#port;
  }

  /** Proto services bound at start, with their methods. */
  get protoServices(): readonly ProtoService[] {
    return this.#bound;
  }

  async start(): Promise<void> {
    if (this.#server) throw Failures.alreadyStarted({ what: 'gRPC server' });
    const server = new GrpcJsServer(this.#options.channelOptions);
    server.addService(messageServiceDefinition, { Command: this.#command });
    server.addService(healthServiceDefinition, this.health.implementation());
    this.health.set(GENERIC_SERVICE, 'SERVING');
    if (this.#options.protos?.length) {
      const pkg = loadProtos(this.#options.protos, this.#options.includeDirs);
      const root = loadProtoRoot(this.#options.protos, this.#options.includeDirs);
      this.#bound = bindProtoServices(pkg, this.dispatcher.services(), this.#options.protoServices);
      for (const svc of this.#bound) {
        const impl: Record<string, (call: ServerUnaryCall<Record<string, unknown>, unknown>, cb: sendUnaryData<unknown>) => void> = {};
        for (const m of svc.methods) impl[m.rpc] = this.#protoHandler(svc, m.method, m.wrapResult);
        server.addService(wireServiceDefinition(root, svc.fullName, svc.definition), impl);
        this.health.set(svc.fullName, 'SERVING');
      }
    }
    for (const s of this.dispatcher.services()) this.health.set(s.name, 'SERVING');
    const address = this.#options.address ?? '127.0.0.1:50051';
    const credentials = grpcServerCredentials(this.#options);
    this.#port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, credentials, (err, port) =>
        err ? reject(Failures.cannotListen({ address, why: err.message }, { cause: err })) : resolve(port),
      ),
    );
    this.#server = server;
  }

  async stop(options: StopOptions = {}): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.health.setAll('NOT_SERVING');
    this.health.endWatches();
    const timeout = options.timeoutMs ?? DEFAULT_STOP_TIMEOUT;
    // tryShutdown refuses new calls and waits for those in flight; past the bound, force it.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, timeout);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #command = (call: ServerUnaryCall<RPCMessage, RPCResponse>, callback: sendUnaryData<RPCResponse>): void => {
    let ctx: CallContext;
    try {
      const md = call.metadata;
      let namespace = call.request.Namespace || DEFAULT_NAMESPACE;
      let service = first(md, 'meshrpc-service');
      let method = first(md, 'meshrpc-method') ?? '';
      if (service === undefined) {
        const parts = namespace.split('/');
        if (parts.length >= 2) [namespace, service, method = ''] = parts;
        else service = this.#onlyService(namespace);
      }
      const codecName = first(md, 'meshrpc-codec') as CodecName | undefined;
      ctx = new CallContext({
        namespace,
        service,
        method,
        deadline: deadlineOf(call),
        metadata: userMetadata(md),
        codec: codecName ? codecByName(codecName) : undefined,
      });
    } catch (err) {
      callback(toStatus(err));
      return;
    }
    const done = this.#watch(call, ctx);
    this.inbound.serve(ctx, call.request.Data ?? Buffer.alloc(0), (err, out) => {
      done();
      if (err) callback(toStatus(err));
      else callback(null, { Data: out as Buffer, Error: '' });
    });
  };

  #protoHandler(svc: ProtoService, method: string, wrapResult: boolean) {
    const { namespace, name } = svc.info;
    return (call: ServerUnaryCall<Record<string, unknown>, unknown>, callback: sendUnaryData<unknown>): void => {
      // The request arrives decoded into the wire form (proto-json.ts): the handler takes it as
      // its named arguments, no codec.
      const ctx = new CallContext({ namespace, service: name, method, deadline: deadlineOf(call), metadata: userMetadata(call.metadata) });
      const done = this.#watch(call, ctx);
      this.inbound.serveValue(ctx, call.request, (err, value) => {
        done();
        if (err) callback(toStatus(err));
        else callback(null, wrapResult ? { result: value } : (value ?? {}));
      });
    };
  }

  /** Cancel ctx when the client cancels; the returned function ends the watch when the call ends. */
  #watch(call: ServerUnaryCall<unknown, unknown>, ctx: CallContext): () => void {
    // grpc-js reports its own deadline timer as a cancel too: cancelByCaller names it.
    const onCancel = () => ctx.cancelByCaller();
    call.once('cancelled', onCancel);
    return () => {
      call.off('cancelled', onCancel);
      ctx.finish();
    };
  }

  #onlyService(namespace: string): string {
    const names = this.dispatcher.services().filter((s) => s.namespace === namespace).map((s) => s.name);
    if (names.length === 1) return names[0];
    if (names.length === 0) throw Failures.unknownNamespace({ namespace });
    throw Failures.ambiguousNamespace({ namespace, services: names });
  }
}

export { HEALTH_SERVICE };

function first(md: GrpcMetadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : undefined;
}

/** The caller's own metadata: text entries that are not gRPC's or ours. */
function userMetadata(md: GrpcMetadata): Metadata {
  const map = md.getMap();
  return readMetadata(Object.keys(map), (k) => map[k], '', (k) => typeof map[k] === 'string' && !isTransportHeader(k));
}

const isTransportHeader = (k: string) => k.startsWith('grpc-') || k.startsWith('meshrpc-') || k === 'user-agent' || k.startsWith(':');
