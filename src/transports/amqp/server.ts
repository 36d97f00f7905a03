/**
 * RabbitMQ as a container server: the seed's "consumer as a server". Each namespace is a durable
 * queue; the service (and method) are named in headers; a message is acked only after its
 * endpoint succeeded. An asynchronous message (no replyTo) that fails is rejected without
 * requeue and so dead-lettered to `<queue>.dlq` — kept, not lost; a request/reply message gets
 * its error as the reply and is acked (the caller owns the failure). Prefetch bounds how many
 * messages are in flight. A dropped connection is re-established (Link); unacked messages are
 * redelivered by the broker, so at-least-once holds across the drop.
 */
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { codecByName, type CodecName } from '../../core/codec.js';
import { CallContext } from '../../core/context.js';
import { MeshError } from '../../core/errors.js';
import { Failures } from '../../core/failures.js';
import { deadlineFromEpoch, headerText, readMetadata } from '../../pipeline/metadata.js';
import { DEFAULT_STOP_TIMEOUT, DispatchServer, type StopOptions } from '../../pipeline/server.js';
import { Link } from './link.js';
import type { AmqpSecurityOptions } from './security.js';
import { DEFAULT_PREFIX, H_CODEC, H_DEADLINE, H_META, H_METHOD, H_SERVICE, H_STATUS, deadLetterExchangeOf, deadLetterQueueOf, queueOf } from './wire.js';

/**
 * TLS is an amqps:// URL with `tls` files (MESHRPC_AMQP_TLS_CA / _CERT / _KEY); credentials are
 * the URL's, or `username` / `password` (MESHRPC_AMQP_USER / _PASSWORD); see security.ts.
 */
export interface AmqpServerOptions extends AmqpSecurityOptions {
  /** amqp:// or amqps:// URL; default AMQP_URL, else amqp://guest:guest@127.0.0.1:5672. */
  url?: string;
  prefix?: string;
  /** Unacked messages per consumer channel. Default 16. */
  prefetch?: number;
  log?: (msg: string) => void;
}

export class AmqpServer extends DispatchServer {
  readonly #o: Required<Pick<AmqpServerOptions, 'url' | 'prefix' | 'prefetch'>> & Pick<AmqpServerOptions, 'log'>;
  readonly #security: AmqpSecurityOptions;
  readonly #namespaces = new Set<string>();
  #link: Link | undefined;
  #consumers = new Map<string, string>();
  #stopping = false;

  constructor(options: AmqpServerOptions = {}) {
    super();
    this.#o = {
      url: options.url ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
      prefix: options.prefix ?? DEFAULT_PREFIX,
      prefetch: options.prefetch ?? 16,
      log: options.log,
    };
    this.#security = options;
  }

  get link(): Link | undefined {
    return this.#link;
  }

  protected override onNamespace(namespace: string): void {
    this.#namespaces.add(namespace);
    const ch = this.#link?.channel;
    if (ch) void this.#consume(ch, namespace).catch((err) => this.#o.log?.(`consume ${namespace}: ${(err as Error).message}`));
  }

  async start(): Promise<void> {
    if (this.#link) throw Failures.alreadyStarted({ what: 'AMQP server' });
    this.#stopping = false;
    this.#link = new Link({
      url: this.#o.url,
      security: this.#security,
      log: this.#o.log,
      setup: async (ch) => {
        this.#consumers.clear();
        await ch.prefetch(this.#o.prefetch);
        for (const ns of this.#namespaces) await this.#consume(ch, ns);
      },
    });
    try {
      await this.#link.open();
    } catch (err) {
      this.#link = undefined;
      throw err; // coded by the link (UNAUTHENTICATED, UNAVAILABLE)
    }
  }

  async #consume(ch: ConfirmChannel, namespace: string): Promise<void> {
    const p = this.#o.prefix;
    const queue = queueOf(p, namespace);
    const dlx = deadLetterExchangeOf(p);
    const dlq = deadLetterQueueOf(p, namespace);
    await ch.assertExchange(dlx, 'direct', { durable: true });
    await ch.assertQueue(dlq, { durable: true });
    await ch.bindQueue(dlq, dlx, queue);
    await ch.assertQueue(queue, { durable: true, deadLetterExchange: dlx, deadLetterRoutingKey: queue });
    const { consumerTag } = await ch.consume(queue, (msg) => msg && this.#onMessage(ch, namespace, msg), { noAck: false });
    this.#consumers.set(namespace, consumerTag);
  }

  #onMessage(ch: ConfirmChannel, namespace: string, msg: ConsumeMessage): void {
    const h = (msg.properties.headers ?? {}) as Record<string, unknown>;
    const { replyTo, correlationId } = msg.properties;
    const reply = (content: Buffer, headers?: Record<string, string>) => {
      if (replyTo) this.#settle(() => ch.sendToQueue(replyTo, content, { correlationId, headers }));
    };
    let ctx: CallContext;
    try {
      const service = headerText(h[H_SERVICE]);
      if (!service) throw Failures.missingHeader({ header: H_SERVICE });
      ctx = new CallContext({
        namespace,
        service,
        method: headerText(h[H_METHOD]) ?? '',
        deadline: deadlineFromEpoch(headerText(h[H_DEADLINE])),
        metadata: readMetadata(Object.keys(h), (k) => h[k], H_META),
        codec: codecByName((headerText(h[H_CODEC]) ?? 'json') as CodecName),
      });
    } catch (err) {
      this.#fail(ch, msg, err, reply);
      return;
    }
    this.inbound.serve(ctx, msg.content, (err, out) => {
      if (err) return this.#fail(ch, msg, err, reply);
      reply(Buffer.from(out!.buffer, out!.byteOffset, out!.length));
      this.#settle(() => ch.ack(msg));
    });
  }

  #fail(ch: ConfirmChannel, msg: ConsumeMessage, err: unknown, reply: (c: Buffer, h?: Record<string, string>) => void): void {
    const e = MeshError.from(err);
    if (msg.properties.replyTo) {
      reply(Buffer.from(JSON.stringify(e.toWire())), { [H_STATUS]: e.code });
      this.#settle(() => ch.ack(msg));
    } else {
      this.#o.log?.(`dead-lettering a message: ${e.code} ${e.message}`);
      this.#settle(() => ch.nack(msg, false, false));
    }
  }

  /** Acks and replies on a channel that died are moot: the broker redelivers those messages. */
  #settle(fn: () => void): void {
    try {
      fn();
    } catch {
      // channel closed under us
    }
  }

  async stop(options: StopOptions = {}): Promise<void> {
    const link = this.#link;
    if (!link || this.#stopping) return;
    this.#stopping = true;
    const ch = link.channel;
    // Stop deliveries first; prefetched-but-unstarted messages are requeued when the channel closes.
    if (ch) for (const tag of this.#consumers.values()) await ch.cancel(tag).catch(() => {});
    const timeout = options.timeoutMs ?? DEFAULT_STOP_TIMEOUT;
    const until = Date.now() + timeout;
    await this.inbound.drain(timeout);
    // The last replies may still sit in amqplib's buffers: closing now would drop them. The
    // channel is in confirm mode, so once the broker confirmed them they are in the reply queue.
    if (ch) await bounded(ch.waitForConfirms().catch(() => {}), Math.max(100, until - Date.now()));
    await link.close();
    this.#link = undefined;
    this.#consumers.clear();
  }
}

function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]).then(() => clearTimeout(timer));
}
