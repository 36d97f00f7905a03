/**
 * Callers over gRPC, so typed clients work over it unchanged:
 *  - GrpcClient speaks the generic contract (rpc.MessageService/Command), naming the service and
 *    method in metadata; it reaches every endpoint a GrpcServer serves, byte-level ones included.
 *  - GrpcProtoClient speaks a service's own proto (the convention in proto-services.ts), the way
 *    a client in another language would.
 * The deadline becomes grpc-timeout, an abort signal cancels the call, statuses become MeshErrors.
 */
import {
  Metadata as GrpcMetadata,
  makeGenericClientConstructor,
  type ChannelCredentials,
  type ChannelOptions,
  type Client as GrpcJsClient,
  type ClientUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import type { CallOptions, CallTarget } from '../../core/caller.js';
import { codecByName, type Codec, type CodecName } from '../../core/codec.js';
import { DEFAULT_NAMESPACE } from '../../core/endpoint.js';
import { Failures } from '../../core/failures.js';
import { OutboundCaller } from '../../pipeline/caller.js';
import { DEFAULT_TIMEOUT } from '../../pipeline/outbound.js';
import { loadProtoRoot, wireServiceDefinition } from './proto-json.js';
import { isResultWrapper, loadProtos, normalizeName, servicesOf } from './proto-services.js';
import { grpcChannelCredentials, type GrpcClientTls } from './security.js';
import { messageServiceDefinition, type RPCMessage, type RPCResponse } from './protos.js';
import { fromServiceError } from './status.js';

export interface GrpcClientOptions {
  codec?: CodecName;
  /** Deadline of calls that set none. Default 30 s. */
  defaultTimeout?: number;
  /**
   * TLS from PEM files (MESHRPC_GRPC_TLS_CA / _CERT / _KEY): `ca` verifies the server (the
   * system's roots otherwise), `cert` and `key` are this client's certificate for mutual TLS.
   * See security.ts.
   */
  tls?: GrpcClientTls;
  /** grpc-js channel credentials of your own; they win over `tls`. */
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
}

type Unary = (req: unknown, md: GrpcMetadata, opts: { deadline: number }, cb: (err: ServiceError | null, res: unknown) => void) => ClientUnaryCall;

const GenericClient = makeGenericClientConstructor(messageServiceDefinition, 'MessageService');

abstract class GrpcCaller extends OutboundCaller {
  readonly codec: Codec;

  constructor(options: GrpcClientOptions) {
    super(options.defaultTimeout ?? DEFAULT_TIMEOUT);
    this.codec = codecByName(options.codec);
  }

  /** Send one unary call (started by the outbound path); `map` shapes the response inside the callback: no second promise per call. */
  protected invoke(fn: Unary, request: unknown, md: GrpcMetadata, options: CallOptions, deadline: number, map?: (res: unknown) => unknown): Promise<unknown> {
    const signal = options.signal;
    if (options.metadata) for (const [k, v] of Object.entries(options.metadata)) md.set(k.toLowerCase(), v);
    return new Promise((resolve, reject) => {
      const onAbort = () => call.cancel();
      const call = fn(request, md, { deadline }, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(fromServiceError(err));
        else resolve(map ? map(res) : res);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export class GrpcClient extends GrpcCaller {
  readonly #client: GrpcJsClient;
  readonly #command: Unary;

  /** `address`: "host:port" of a GrpcServer (or any server of the seed's MessageService). */
  constructor(address: string, options: GrpcClientOptions = {}) {
    super(options);
    const { credentials, channelOptions } = grpcChannelCredentials(options);
    this.#client = new GenericClient(address, credentials, channelOptions);
    this.#command = (this.#client as unknown as { Command: Unary }).Command.bind(this.#client);
  }

  protected async sendCall(target: CallTarget, payload: Uint8Array, options: CallOptions, deadline: number): Promise<Uint8Array> {
    const md = new GrpcMetadata();
    md.set('meshrpc-service', target.service);
    if (target.method) md.set('meshrpc-method', target.method);
    const codec = options.codec ?? this.codec.name;
    if (codec !== 'json') md.set('meshrpc-codec', codec);
    const request: RPCMessage = { Namespace: target.namespace ?? DEFAULT_NAMESPACE, Data: Buffer.from(payload.buffer, payload.byteOffset, payload.length) };
    const res = (await this.invoke(this.#command, request, md, options, deadline)) as RPCResponse;
    // The seed's servers report failures in RPCResponse.Error rather than as a status.
    if (res.Error) throw Failures.remoteFailureText({ text: res.Error });
    return res.Data;
  }

  close(): void {
    this.#client.close();
  }
}

const resultOf = (res: unknown) => (res as Record<string, unknown>).result;

interface Route {
  fn: Unary;
  wrapResult: boolean;
}

export class GrpcProtoClient extends GrpcCaller {
  readonly #clients: GrpcJsClient[] = [];
  readonly #routes = new Map<string, Route>();
  readonly #byTarget = new WeakMap<CallTarget, Route>();

  /** `protos`: .proto files following the meshrpc convention (e.g. generated by `meshrpc expose --proto`). */
  constructor(address: string, protos: string | string[], options: GrpcClientOptions & { includeDirs?: string[] } = {}) {
    super(options);
    const { credentials: creds, channelOptions } = grpcChannelCredentials(options);
    const root = loadProtoRoot(protos, options.includeDirs);
    for (const { fullName, definition } of servicesOf(loadProtos(protos, options.includeDirs))) {
      const Ctor = makeGenericClientConstructor(wireServiceDefinition(root, fullName, definition), fullName);
      const client = new Ctor(address, creds, channelOptions);
      this.#clients.push(client);
      const short = fullName.slice(fullName.lastIndexOf('.') + 1);
      for (const [rpc, def] of Object.entries(definition)) {
        const fn = (client as unknown as Record<string, Unary>)[rpc].bind(client);
        const wrapResult = isResultWrapper((def as { responseType?: { type?: unknown } }).responseType);
        this.#routes.set(`${normalizeName(short)}/${normalizeName(rpc)}`, { fn, wrapResult });
      }
    }
  }

  /** Bytes in the caller's codec, for byte-level use; typed clients take callValue. */
  protected async sendCall(target: CallTarget, payload: Uint8Array, options: CallOptions, deadline: number): Promise<Uint8Array> {
    const codec = options.codec ? codecByName(options.codec) : this.codec;
    const value = await this.#sendValue(target, (codec.decode(payload) ?? {}) as Record<string, unknown>, options, deadline);
    return codec.encode(value === undefined ? null : value);
  }

  /** The arguments become the request message and the response message the result: no codec. */
  callValue(target: CallTarget, args: Record<string, unknown>, options?: CallOptions): Promise<unknown> {
    return this.outbound.call(target, args, options, this.#sendValue);
  }

  readonly #sendValue = (target: CallTarget, args: Record<string, unknown>, options: CallOptions, deadline: number): Promise<unknown> => {
    let route: Route;
    try {
      route = this.#routeOf(target);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.invoke(route.fn, args, new GrpcMetadata(), options, deadline, route.wrapResult ? resultOf : undefined);
  };

  /** The rpc of a target, remembered per target object (typed clients reuse one per method). */
  #routeOf(target: CallTarget): Route {
    let route = this.#byTarget.get(target);
    if (!route) {
      route = this.#routes.get(`${normalizeName(target.service)}/${normalizeName(target.method)}`);
      if (!route) throw Failures.noRpcInProtos({ service: target.service, method: target.method });
      this.#byTarget.set(target, route);
    }
    return route;
  }

  close(): void {
    for (const c of this.#clients) c.close();
  }
}
