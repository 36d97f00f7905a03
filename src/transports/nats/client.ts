/**
 * A Caller over NATS request/reply: typed clients (createClient, generated) work over it as over
 * the mesh. The deadline rides in a header and bounds the request; see request.ts for the rest.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Caller, CallOptions, CallTarget } from '../../core/caller.js';
import { codecByName, type Codec, type CodecName } from '../../core/codec.js';
import { DEFAULT_NAMESPACE } from '../../core/endpoint.js';
import { natsRequest } from './request.js';
import { DEFAULT_PREFIX, SubjectCache } from './wire.js';

export interface NatsClientOptions {
  servers?: string | string[];
  connection?: NatsConnection;
  prefix?: string;
  codec?: CodecName;
  /** Deadline of calls that set none. Default 30 s. */
  defaultTimeout?: number;
  name?: string;
}

export class NatsClient implements Caller {
  readonly codec: Codec;
  readonly connection: NatsConnection;
  readonly #subjects: SubjectCache;
  readonly #defaultTimeout: number;
  readonly #owned: boolean;

  constructor(connection: NatsConnection, options: NatsClientOptions = {}, owned = false) {
    this.connection = connection;
    this.codec = codecByName(options.codec);
    this.#subjects = new SubjectCache(options.prefix ?? DEFAULT_PREFIX);
    this.#defaultTimeout = options.defaultTimeout ?? 30_000;
    this.#owned = owned;
  }

  /** Connect (reconnecting forever, so calls after a server restart succeed) and build a client. */
  static async connect(options: NatsClientOptions = {}): Promise<NatsClient> {
    if (options.connection) return new NatsClient(options.connection, options);
    const nc = await connect({
      servers: options.servers ?? process.env.NATS_URL ?? '127.0.0.1:4222',
      name: options.name ?? 'meshrpc-client',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // Failures are mapped to MeshErrors; an eager stack trace per request cost ~35% of CPU.
      noAsyncTraces: true,
    });
    return new NatsClient(nc, options, true);
  }

  call(target: CallTarget, payload: Uint8Array, options?: CallOptions): Promise<Uint8Array> {
    const subject = this.#subjects.of(target, DEFAULT_NAMESPACE);
    return natsRequest(this.connection, subject, payload, options, this.#defaultTimeout, this.codec);
  }

  async close(): Promise<void> {
    if (this.#owned && !this.connection.isClosed()) await this.connection.drain().catch(() => this.connection.close());
  }
}
