/**
 * TLS files and credentials of the other engines (NATS, gRPC, RabbitMQ, Kafka), from options or
 * from `MESHRPC_<ENGINE>_*` environment variables. Read here once, so every engine names its
 * variables the same way (`MESHRPC_NATS_TLS_CA`, `MESHRPC_GRPC_TLS_CERT`, `MESHRPC_AMQP_PASSWORD`,
 * ...) and says the same thing when a file is missing or a setting is half given. What the
 * settings then become is each engine's own: nats.js `tls`/authenticators, grpc-js credentials,
 * amqplib socket options, kafkajs `ssl`/`sasl` (see each engine's `security.ts`).
 */
import { readFileSync } from 'node:fs';
import { Failures } from '../core/failures.js';
import type { TlsFiles } from '../security/material.js';

/** The engines, as their variables spell them. */
export type EngineName = 'NATS' | 'GRPC' | 'AMQP' | 'KAFKA';

/** PEM file paths, as the mesh's own `tls` option; each may be left out where the engine allows. */
export type EngineTlsFiles = Partial<TlsFiles>;

/** The PEM text of the files given. */
export interface TlsPem {
  ca?: string;
  cert?: string;
  key?: string;
}

const TITLE: Record<EngineName, string> = { NATS: 'NATS', GRPC: 'gRPC', AMQP: 'RabbitMQ', KAFKA: 'Kafka' };

/** How an engine is named in messages ("RabbitMQ", not "AMQP"). */
export function engineTitle(engine: EngineName): string {
  return TITLE[engine];
}

/** `MESHRPC_<ENGINE>_<SETTING>`. */
export function variableOf(engine: EngineName, setting: string): string {
  return `MESHRPC_${engine}_${setting}`;
}

/** The option when given, else the variable; empty or blank counts as unset. */
export function settingOf(engine: EngineName, setting: string, given: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (given !== undefined && given !== '') return given;
  const value = env[variableOf(engine, setting)]?.trim();
  return value === '' ? undefined : value;
}

/**
 * The TLS files: the `tls` option as a whole when given (`{}`: TLS with the system's CAs), else
 * MESHRPC_<ENGINE>_TLS_CA / _CERT / _KEY, or MESHRPC_<ENGINE>_TLS=1 for TLS without files.
 * Undefined: no TLS asked for. A certificate needs its key and the other way round.
 */
export function tlsFilesOf(engine: EngineName, given: EngineTlsFiles | undefined, env: NodeJS.ProcessEnv): EngineTlsFiles | undefined {
  const files: EngineTlsFiles = given
    ? { ca: given.ca || undefined, cert: given.cert || undefined, key: given.key || undefined }
    : { ca: settingOf(engine, 'TLS_CA', undefined, env), cert: settingOf(engine, 'TLS_CERT', undefined, env), key: settingOf(engine, 'TLS_KEY', undefined, env) };
  if (!given && !files.ca && !files.cert && !files.key && !isOn(settingOf(engine, 'TLS', undefined, env))) return undefined;
  if (!files.cert !== !files.key) {
    const [has, lacks] = files.cert ? ['certificate', 'KEY'] : ['key', 'CERT'];
    throw Failures.engineSettingsInvalid({
      engine: TITLE[engine],
      problem: `a TLS ${has} without its ${has === 'key' ? 'certificate' : 'key'}: set tls.${lacks.toLowerCase()} or ${variableOf(engine, `TLS_${lacks}`)} too`,
    });
  }
  return files;
}

function isOn(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

/** Read the TLS files (PEM text), saying which file and which setting when one cannot be read. */
export function readTlsPem(engine: EngineName, files: EngineTlsFiles): TlsPem {
  const pem: TlsPem = {};
  if (files.ca) pem.ca = readSetting(engine, 'CA file', files.ca, 'tls.ca', 'TLS_CA').toString('utf8');
  if (files.cert) pem.cert = readSetting(engine, 'certificate', files.cert, 'tls.cert', 'TLS_CERT').toString('utf8');
  if (files.key) pem.key = readSetting(engine, 'key', files.key, 'tls.key', 'TLS_KEY').toString('utf8');
  return pem;
}

/** The option or variables' TLS files, read (`{}`: TLS without files); undefined: no TLS asked for. */
export function tlsPemOf(engine: EngineName, given: EngineTlsFiles | undefined, env: NodeJS.ProcessEnv): TlsPem | undefined {
  const files = tlsFilesOf(engine, given, env);
  return files && readTlsPem(engine, files);
}

/** Read a file a setting names (a creds file, an NKEY seed, a PEM file). */
export function readSetting(engine: EngineName, what: string, file: string, option: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw Failures.engineFileUnreadable({ engine: TITLE[engine], what, file, setting: `${option} or ${variableOf(engine, setting)}`, why: (err as Error).message });
  }
}

/** A user name and password: both or neither. */
export function userPasswordOf(
  engine: EngineName,
  given: { user?: string; password?: string },
  env: NodeJS.ProcessEnv,
  names: { user: string; password: string },
): { user: string; password: string } | undefined {
  const user = settingOf(engine, 'USER', given.user, env);
  const password = settingOf(engine, 'PASSWORD', given.password, env);
  if (user === undefined && password === undefined) return undefined;
  if (user === undefined || password === undefined) {
    const missing = user === undefined ? ['user', names.user, 'USER'] : ['password', names.password, 'PASSWORD'];
    throw Failures.engineSettingsInvalid({ engine: TITLE[engine], problem: `a ${user === undefined ? 'password' : 'user'} without a ${missing[0]}: set ${missing[1]} or ${variableOf(engine, missing[2]!)}` });
  }
  return { user, password };
}

/** What went wrong in a TLS handshake, when `err` (or its cause) is a TLS failure. */
export interface TlsFailure {
  /** The peer sent an alert: it refused our certificate, or our lack of one. */
  refusedByPeer: boolean;
  reason: string;
}

// node:tls reports its own verification of the peer by OpenSSL's verify codes, and everything
// else in the handshake as ERR_SSL_* (alerts from the peer among them).
const VERIFY_CODES = /^(UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|CERT_|ERR_TLS_CERT_|HOSTNAME_MISMATCH)/;

export function tlsFailureOf(err: unknown): TlsFailure | undefined {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    const reason = opensslReason(typeof e.message === 'string' ? e.message : String(e));
    if (/^ERR_SSL_.*ALERT/.test(code)) return { refusedByPeer: true, reason: `TLS alert "${reason.replace(/^\S+ alert /, '')}"` };
    if (VERIFY_CODES.test(code) || code.startsWith('ERR_SSL_')) return { refusedByPeer: false, reason };
  }
  return undefined;
}

/** OpenSSL's "...:SSL routines:<function>:<reason>:<file>:<line>:..." -> "<reason>". */
function opensslReason(message: string): string {
  return /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message.trim();
}
