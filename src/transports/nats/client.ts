/**
 * A Caller over NATS request/reply: typed clients (createClient, generated) work over it as over
 * the mesh. The deadline rides in a header and bounds the request; see request.ts for the rest.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { CallOptions, CallTarget } from '../../core/caller.js';
import { codecByName, type Codec, type CodecName } from '../../core/codec.js';
import { DEFAULT_NAMESPACE } from '../../core/endpoint.js';
import { OutboundCaller } from '../../pipeline/caller.js';
import { DEFAULT_TIMEOUT } from '../../pipeline/outbound.js';
import { connectNats } from './connect.js';
import { natsRequest } from './request.js';
import type { NatsSecurityOptions } from './security.js';
import { DEFAULT_PREFIX, SubjectCache } from './wire.js';

/** TLS and authentication (`tls`, `user`/`pass`, `token`, `creds`, `nkey`, `authenticator`) as for NatsServer; see security.ts. */
export interface NatsClientOptions extends NatsSecurityOptions {
  servers?: string | string[];
  connection?: NatsConnection;
  prefix?: string;
  codec?: CodecName;
  /** Deadline of calls that set none. Default 30 s. */
  defaultTimeout?: number;
  name?: string;
}

export class NatsClient extends OutboundCaller {
  readonly codec: Codec;
  readonly connection: NatsConnection;
  readonly #subjects: SubjectCache;
  readonly #owned: boolean;

  constructor(connection: NatsConnection, options: NatsClientOptions = {}, owned = false) {
    super(options.defaultTimeout ?? DEFAULT_TIMEOUT);
    this.connection = connection;
    this.codec = codecByName(options.codec);
    this.#subjects = new SubjectCache(options.prefix ?? DEFAULT_PREFIX);
    this.#owned = owned;
  }

  /** Connect (reconnecting forever, so calls after a server restart succeed) and build a client. */
  static async connect(options: NatsClientOptions = {}): Promise<NatsClient> {
    if (options.connection) return new NatsClient(options.connection, options);
    const nc = await connectNats(options.servers, options.name ?? 'meshrpc-client', options);
    return new NatsClient(nc, options, true);
  }

  protected sendCall(target: CallTarget, payload: Uint8Array, options: CallOptions, deadline: number): Promise<Uint8Array> {
    return natsRequest(this.connection, this.#subjects.of(target, DEFAULT_NAMESPACE), payload, options, deadline, this.codec);
  }

  async close(): Promise<void> {
    if (this.#owned && !this.connection.isClosed()) await this.connection.drain().catch(() => this.connection.close());
  }
}
