/**
 * NATS as a container server: each registered service is a queue-group subscription on
 * `<prefix>.<namespace>.<service>.*`, so instances of the same service share its load.
 * stop() unsubscribes (new requests go to other instances or fail fast with no responders),
 * waits for calls in flight up to the timeout, then drains the connection it owns.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Endpoint, ServiceInfo } from '../../core/endpoint.js';
import { MeshError } from '../../core/errors.js';
import { Failures } from '../../core/failures.js';
import { DEFAULT_STOP_TIMEOUT, DispatchServer, type StopOptions } from '../../pipeline/server.js';
import { connectNats } from './connect.js';
import type { NatsSecurityOptions } from './security.js';
import { serveMsg, stopServing } from './serve.js';
import { DEFAULT_PREFIX, queueOf, serviceWildcard } from './wire.js';

/**
 * TLS and authentication come from the options (`tls`, `user`/`pass`, `token`, `creds`, `nkey`,
 * `authenticator`) or from MESHRPC_NATS_TLS_CA/_CERT/_KEY, MESHRPC_NATS_TOKEN, _USER/_PASSWORD,
 * _CREDS and _NKEY; see security.ts.
 */
export interface NatsServerOptions extends NatsSecurityOptions {
  /** NATS server URL(s), e.g. "nats://127.0.0.1:4222". Ignored when `connection` is given. */
  servers?: string | string[];
  /** An existing connection to use (not closed by stop()). */
  connection?: NatsConnection;
  /** Subject prefix. Default "meshrpc". */
  prefix?: string;
  /** Queue group per service; default `<prefix>.<namespace>.<service>`. */
  queue?: (namespace: string, service: string) => string;
  /** Connection name shown by the NATS server. */
  name?: string;
}

export class NatsServer extends DispatchServer {
  readonly #options: NatsServerOptions;
  readonly #prefix: string;
  readonly #subs: Subscription[] = [];
  #nc: NatsConnection | undefined;
  #owned = false;
  #running = false;

  constructor(options: NatsServerOptions = {}) {
    super();
    this.#options = options;
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
  }

  get connection(): NatsConnection | undefined {
    return this.#nc;
  }

  async start(): Promise<void> {
    if (this.#running) throw Failures.alreadyStarted({ what: 'NATS server' });
    if (this.#options.connection) this.#nc = this.#options.connection;
    else {
      this.#nc = await connectNats(this.#options.servers, this.#options.name ?? 'meshrpc-server', this.#options);
      this.#owned = true;
    }
    this.#running = true;
    for (const info of this.dispatcher.services()) this.#subscribe(info);
    await this.#nc.flush();
  }

  protected override onService(info: ServiceInfo, _endpoint: Endpoint): void {
    if (this.#running) this.#subscribe(info);
  }

  #subscribe(info: ServiceInfo): void {
    const { namespace, name } = info;
    const queue = this.#options.queue?.(namespace, name) ?? queueOf(this.#prefix, namespace, name);
    const sub = this.#nc!.subscribe(serviceWildcard(this.#prefix, namespace, name), {
      queue,
      callback: (err, msg) => {
        if (!err) serveMsg(msg, namespace, name, this.inbound);
      },
    });
    this.#subs.push(sub);
  }

  async stop(options: StopOptions = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    const nc = this.#nc!;
    const timeout = options.timeoutMs ?? DEFAULT_STOP_TIMEOUT;
    await stopServing(nc, this.#subs.splice(0));
    await this.inbound.drain(timeout);
    if (this.#owned && !nc.isClosed()) await nc.drain().catch(() => nc.close());
    this.#nc = undefined;
  }
}
