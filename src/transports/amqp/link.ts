/**
 * A RabbitMQ connection that comes back: `Link` connects, runs `setup` on a fresh confirm
 * channel, and when the connection drops (broker restart, network cut, forced close) connects
 * again with backoff and runs `setup` again. close() stops for good. Errors never escape as
 * unhandled 'error' events.
 */
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { Failures } from '../../core/failures.js';
import { amqpConnectArgs, amqpConnectFailure, type AmqpConnectArgs, type AmqpSecurityOptions } from './security.js';

export interface LinkOptions {
  url: string;
  /** TLS files, credentials and amqplib socket options (security.ts). */
  security?: AmqpSecurityOptions;
  /** Run on every (re)connect with the new channel. */
  setup: (ch: ConfirmChannel) => Promise<void>;
  /** Told when the link goes down (in-flight work on the old channel is gone). */
  onDown?: (err: Error | undefined) => void;
  log?: (msg: string) => void;
  /** Largest pause between reconnect attempts. Default 2 s. */
  maxBackoff?: number;
}

export class Link {
  readonly #o: LinkOptions;
  readonly #args: AmqpConnectArgs;
  #conn: ChannelModel | undefined;
  #ch: ConfirmChannel | undefined;
  #closed = false;
  #ready: Promise<ConfirmChannel> | undefined;
  #reconnects = 0;

  /** Throws FAILED_PRECONDITION when the security settings do not fit (see security.ts). */
  constructor(options: LinkOptions) {
    this.#o = options;
    this.#args = amqpConnectArgs(withHeartbeat(options.url), options.security);
  }

  get channel(): ConfirmChannel | undefined {
    return this.#ch;
  }

  get connection(): ChannelModel | undefined {
    return this.#conn;
  }

  /** How many times the link came back after a drop. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /**
   * The first connect fails loudly, with a code: UNAUTHENTICATED (login or client certificate
   * refused), UNAVAILABLE (broker down, TLS failed). Later drops are retried.
   */
  async open(): Promise<ConfirmChannel> {
    this.#ready = this.#connect().catch((err: unknown) => {
      throw amqpConnectFailure(err, this.#args);
    });
    return this.#ready;
  }

  /** The current channel, waiting (up to timeoutMs) while the link is reconnecting. */
  async ready(timeoutMs: number): Promise<ConfirmChannel> {
    if (this.#ch) return this.#ch;
    // Closed by its owner; this has never promised that nothing ran, so it keeps that flag off.
    if (this.#closed) throw Failures.brokerClosed({ broker: 'RabbitMQ' }, { notProcessed: false });
    const until = Date.now() + timeoutMs;
    while (!this.#ch && !this.#closed && Date.now() < until) await sleep(20);
    if (this.#ch) return this.#ch;
    throw Failures.brokerUnreachable({ broker: 'RabbitMQ' }, { notProcessed: true });
  }

  async #connect(): Promise<ConfirmChannel> {
    const conn = await connect(this.#args.url, this.#args.socketOptions);
    conn.on('error', (err: Error) => this.#o.log?.(`connection error: ${err.message}`));
    const ch = await conn.createConfirmChannel();
    ch.on('error', (err: Error) => this.#o.log?.(`channel error: ${err.message}`));
    await this.#o.setup(ch);
    this.#conn = conn;
    this.#ch = ch;
    const down = (err?: Error) => {
      if (this.#conn !== conn) return;
      this.#conn = undefined;
      this.#ch = undefined;
      this.#o.onDown?.(err);
      if (!this.#closed) void this.#reconnectLoop();
    };
    conn.on('close', down);
    ch.on('close', () => {
      // A channel closed by the broker (e.g. a precondition) while the connection lives: start over.
      if (this.#conn === conn && !this.#closed) conn.close().catch(() => down());
    });
    return ch;
  }

  async #reconnectLoop(): Promise<void> {
    let pause = 100;
    for (let attempt = 0; !this.#closed; attempt++) {
      await sleep(pause);
      if (this.#closed) return;
      try {
        await this.#connect();
        this.#reconnects++;
        this.#o.log?.(`reconnected after ${attempt + 1} attempt(s)`);
        return;
      } catch (err) {
        this.#o.log?.(`reconnect failed: ${(err as Error).message}`);
        pause = Math.min(pause * 2, this.#o.maxBackoff ?? 2000);
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const conn = this.#conn;
    this.#conn = undefined;
    this.#ch = undefined;
    await conn?.close().catch(() => {});
  }
}

/** A silent dead peer is found by heartbeats; default to 5 s unless the URL says otherwise. */
function withHeartbeat(url: string): string {
  if (/[?&]heartbeat=/.test(url)) return url;
  return url + (url.includes('?') ? '&' : '?') + 'heartbeat=5';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
