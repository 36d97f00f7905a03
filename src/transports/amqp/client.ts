/**
 * The RabbitMQ client. `send` is the seed's asynchronous pattern: publish a persistent message
 * to the namespace's queue and resolve once the broker confirmed it; when the connection drops
 * before the confirm, the message is published again after the reconnect (at-least-once), so a
 * resolved send is never lost. `call` (the Caller) is request/reply over RabbitMQ's direct
 * reply-to with a correlation id, bounded by the deadline. Unroutable messages (no such queue)
 * come back as UNAVAILABLE instead of vanishing.
 */
import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import { deadlineOf, type CallOptions, type CallTarget } from '../../core/caller.js';
import { codecByName, type Codec, type CodecName } from '../../core/codec.js';
import { DEFAULT_NAMESPACE } from '../../core/endpoint.js';
import { MeshError } from '../../core/errors.js';
import { Failures } from '../../core/failures.js';
import { timerDelay } from '../../core/timers.js';
import { OutboundCaller } from '../../pipeline/caller.js';
import { writeMetadata } from '../../pipeline/metadata.js';
import { DEFAULT_TIMEOUT } from '../../pipeline/outbound.js';
import { Link, sleep } from './link.js';
import type { AmqpSecurityOptions } from './security.js';
import { DEFAULT_PREFIX, H_CODEC, H_DEADLINE, H_META, H_METHOD, H_SERVICE, H_STATUS, queueOf } from './wire.js';

const REPLY_QUEUE = 'amq.rabbitmq.reply-to';

/** TLS (amqps:// with `tls` files) and credentials as for AmqpServer; see security.ts. */
export interface AmqpClientOptions extends AmqpSecurityOptions {
  /** amqp:// or amqps:// URL; default AMQP_URL, else amqp://guest:guest@127.0.0.1:5672. */
  url?: string;
  prefix?: string;
  codec?: CodecName;
  /** Deadline of calls and sends that set none. Default 30 s. */
  defaultTimeout?: number;
  log?: (msg: string) => void;
}

interface Pending {
  resolve: (m: ConsumeMessage) => void;
  reject: (e: MeshError) => void;
}

export class AmqpClient extends OutboundCaller {
  readonly codec: Codec;
  readonly link: Link;
  readonly #prefix: string;
  readonly #pending = new Map<string, Pending>();
  /** message ids of sends returned as unroutable, until their publish settles */
  readonly #returned = new Map<string, MeshError>();

  private constructor(options: AmqpClientOptions) {
    super(options.defaultTimeout ?? DEFAULT_TIMEOUT);
    this.codec = codecByName(options.codec);
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
    this.link = new Link({
      url: options.url ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
      security: options,
      log: options.log,
      setup: (ch) => this.#setup(ch),
      onDown: () => {
        // Replies come back on the channel that asked; that channel is gone.
        const err = Failures.brokerLost({ broker: 'RabbitMQ' });
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      },
    });
  }

  static async connect(options: AmqpClientOptions = {}): Promise<AmqpClient> {
    const client = new AmqpClient(options);
    await client.link.open(); // fails with a coded error (link.ts)
    return client;
  }

  async #setup(ch: ConfirmChannel): Promise<void> {
    ch.on('return', (msg: Message) => {
      const id = msg.properties.correlationId ?? msg.properties.messageId;
      const err = Failures.noResponders({ subject: msg.fields.routingKey }); // no queue for that namespace
      const p = this.#pending.get(id);
      if (p) {
        this.#pending.delete(id);
        p.reject(err);
      } else if (id) this.#returned.set(id, err);
    });
    await ch.consume(REPLY_QUEUE, (msg) => {
      if (!msg) return;
      const p = this.#pending.get(msg.properties.correlationId);
      if (!p) return;
      this.#pending.delete(msg.properties.correlationId);
      p.resolve(msg);
    }, { noAck: true });
  }

  #headers(target: CallTarget, options: CallOptions | undefined, deadline: number): Record<string, string | number> {
    const h: Record<string, string | number> = { [H_SERVICE]: target.service, [H_DEADLINE]: deadline };
    if (target.method) h[H_METHOD] = target.method;
    const codec = options?.codec ?? this.codec.name;
    if (codec !== 'json') h[H_CODEC] = codec;
    writeMetadata(options?.metadata, H_META, (k, v) => (h[k] = v));
    return h;
  }

  /**
   * Publish for asynchronous handling; resolves when the broker has confirmed the message.
   * `timeout` bounds the whole attempt (reconnects included) and, unless `deadline: false`,
   * also becomes the handler's deadline.
   */
  async send(target: CallTarget, payload: Uint8Array, options: CallOptions & { handlerDeadline?: boolean } = {}): Promise<string> {
    const now = Date.now();
    const until = deadlineOf(options, now) ?? now + this.outbound.defaultTimeout;
    const queue = queueOf(this.#prefix, target.namespace ?? DEFAULT_NAMESPACE);
    const messageId = randomUUID();
    const headers = this.#headers(target, options, until);
    if (options.handlerDeadline === false) delete headers[H_DEADLINE];
    const content = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
    for (;;) {
      const left = until - Date.now();
      if (left <= 0) throw Failures.notConfirmed({ broker: 'RabbitMQ' });
      const ch = await this.link.ready(left);
      try {
        await new Promise<void>((resolve, reject) => {
          ch.sendToQueue(queue, content, { persistent: true, mandatory: true, messageId, headers }, (err) => (err ? reject(err) : resolve()));
        });
        const returned = this.#returned.get(messageId);
        this.#returned.delete(messageId);
        if (returned) throw returned;
        return messageId;
      } catch (err) {
        if (err instanceof MeshError) throw err;
        // Nacked or the channel died before the confirm: publish again on the next channel.
        await sleep(50);
      }
    }
  }

  /** A call is request/reply; client interceptors (`use`) see calls, not `send`s (those have no reply). */
  protected async sendCall(target: CallTarget, payload: Uint8Array, options: CallOptions, deadline: number): Promise<Uint8Array> {
    const signal = options.signal;
    const ch = await this.link.ready(deadline - Date.now());
    const correlationId = randomUUID();
    const queue = queueOf(this.#prefix, target.namespace ?? DEFAULT_NAMESPACE);
    const reply = await new Promise<ConsumeMessage>((resolve, reject) => {
      const timer = setTimeout(() => fail(Failures.deadlineExceeded({ target: `${target.service}.${target.method}` })), timerDelay(deadline - Date.now()));
      const onAbort = () => fail(Failures.cancelledByCaller());
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(correlationId);
      };
      const fail = (e: MeshError) => {
        done();
        reject(e);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(correlationId, { resolve: (m) => (done(), resolve(m)), reject: fail });
      try {
        ch.sendToQueue(queue, Buffer.from(payload.buffer, payload.byteOffset, payload.length), {
          replyTo: REPLY_QUEUE,
          correlationId,
          mandatory: true,
          headers: this.#headers(target, options, deadline),
        });
      } catch (err) {
        fail(Failures.notAccepted({ broker: 'RabbitMQ', why: (err as Error).message }, { cause: err, notProcessed: true }));
      }
    });
    const status = reply.properties.headers?.[H_STATUS];
    if (status) {
      try {
        throw MeshError.fromWire(JSON.parse(reply.content.toString('utf8')));
      } catch (err) {
        throw err instanceof MeshError ? err : Failures.unreadableRemoteError({ status: String(status) });
      }
    }
    return reply.content;
  }

  close(): Promise<void> {
    return this.link.close();
  }
}
