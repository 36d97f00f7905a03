/**
 * RabbitMQ's TLS and credentials -> amqplib's `connect(url, socketOptions)`. TLS is the URL's
 * `amqps://`; the PEM files (`tls` or MESHRPC_AMQP_TLS_CA / _CERT / _KEY) become the socket
 * options `ca`, `cert`, `key`. Credentials are the URL's (`amqps://user:pass@host`), or
 * `username`/`password` (MESHRPC_AMQP_USER / MESHRPC_AMQP_PASSWORD), which replace them
 * (amqplib's `credentials.plain`), so a password need not sit in a URL. `socketOptions` are
 * amqplib's own and win over all of this (e.g. `credentials: credentials.external()`).
 */
import { credentials } from 'amqplib';
import { Failures } from '../../core/failures.js';
import type { MeshError } from '../../core/errors.js';
import { tlsFailureOf, tlsPemOf, userPasswordOf, variableOf, type EngineTlsFiles } from '../engine-credentials.js';

export interface AmqpSecurityOptions {
  /** PEM files for an amqps:// URL: `ca` verifies the broker, `cert` and `key` are this client's. */
  tls?: EngineTlsFiles;
  /** User name and password, replacing the URL's (MESHRPC_AMQP_USER, MESHRPC_AMQP_PASSWORD). */
  username?: string;
  password?: string;
  /** How long the first connect (TCP, TLS and AMQP handshakes) may take, in ms. Default 10 000. */
  connectTimeout?: number;
  /** amqplib socket options of your own; they win over the ones made here. */
  socketOptions?: Record<string, unknown>;
}

export const DEFAULT_AMQP_CONNECT_TIMEOUT = 10_000;

export interface AmqpConnectArgs {
  url: string;
  socketOptions: Record<string, unknown>;
  /** host:port, for messages (never the URL: it may hold a password). */
  address: string;
  /** Whether this client was given TLS files of its own (for hints). */
  clientCert: boolean;
}

export function amqpConnectArgs(url: string, given: AmqpSecurityOptions = {}, env: NodeJS.ProcessEnv = process.env): AmqpConnectArgs {
  const parsed = new URL(url);
  const tls = parsed.protocol === 'amqps:';
  const address = `${parsed.hostname}:${parsed.port || (tls ? 5671 : 5672)}`;
  const pem = tlsPemOf('AMQP', given.tls, env);
  if (pem && !tls) {
    throw Failures.engineSettingsInvalid({
      engine: 'RabbitMQ',
      problem: `TLS files are set (tls or ${variableOf('AMQP', 'TLS_CA')} / _CERT / _KEY) but the URL is ${parsed.protocol}//${address}: use amqps:// (RabbitMQ's TLS port is 5671 by default)`,
    });
  }
  const socketOptions: Record<string, unknown> = { timeout: given.connectTimeout ?? DEFAULT_AMQP_CONNECT_TIMEOUT, ...pem };
  const login = userPasswordOf('AMQP', { user: given.username, password: given.password }, given.username !== undefined || given.password !== undefined ? {} : env, {
    user: 'username',
    password: 'password',
  });
  if (login) socketOptions.credentials = credentials.plain(login.user, login.password);
  return { url, socketOptions: { ...socketOptions, ...given.socketOptions }, address, clientCert: pem?.cert !== undefined };
}

const LOGIN_HINT = `check the user and password (the URL's, or username / password, ${variableOf('AMQP', 'USER')} / ${variableOf('AMQP', 'PASSWORD')})`;

/** A failed first connect as a coded error: refused login or certificate, TLS, or unreachable. */
export function amqpConnectFailure(err: unknown, args: AmqpConnectArgs): MeshError {
  const engine = 'RabbitMQ' as const;
  const { address } = args;
  const message = (err as Error)?.message ?? String(err);
  if (/ACCESS[-_]REFUSED/.test(message)) {
    return Failures.engineRefusedClient({ engine, address, why: 'ACCESS_REFUSED, login refused', hint: LOGIN_HINT }, { cause: err });
  }
  const tls = tlsFailureOf(err);
  if (tls?.refusedByPeer) {
    const hint = args.clientCert
      ? `it did not accept the client certificate (tls.cert, ${variableOf('AMQP', 'TLS_CERT')})`
      : `it wants a client certificate: set tls.cert and tls.key, or ${variableOf('AMQP', 'TLS_CERT')} and ${variableOf('AMQP', 'TLS_KEY')}`;
    return Failures.engineRefusedClient({ engine, address, why: tls.reason, hint }, { cause: err });
  }
  if (tls) {
    const hint = `set tls.ca or ${variableOf('AMQP', 'TLS_CA')} to the CA that signed the broker's certificate`;
    return Failures.engineTlsFailed({ engine, address, why: tls.reason, hint }, { cause: err });
  }
  return Failures.brokerUnreachable({ broker: engine, why: `${message} (${address})` }, { cause: err });
}
