/**
 * NATS security settings -> nats.js ConnectionOptions: `tls` (PEM text of the files), `user` /
 * `pass`, `token`, or an `authenticator` (credsAuthenticator for a .creds file, nkeyAuthenticator
 * for a seed, or one of your own). The options given in code win; only when code names no way to
 * authenticate are MESHRPC_NATS_TOKEN, _USER/_PASSWORD, _CREDS and _NKEY read, and at most one
 * of them may be set, as a NATS server accepts one.
 */
import { credsAuthenticator, nkeyAuthenticator, type Authenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { Failures } from '../../core/failures.js';
import { readSetting, settingOf, tlsPemOf, userPasswordOf, variableOf, type TlsPem } from '../engine-credentials.js';
import type { NatsSecuritySettings } from './settings.js';

export interface NatsSecurityOptions extends NatsSecuritySettings {
  /** nats.js authenticator(s), e.g. `jwtAuthenticator(...)`; used as they are. */
  authenticator?: Authenticator | Authenticator[];
}

export interface NatsSecurity {
  /** Spread into nats.js `connect()`. */
  options: Pick<ConnectionOptions, 'tls' | 'user' | 'pass' | 'token' | 'authenticator' | 'timeout'>;
  /** The TLS material, for diagnosing a refused handshake. */
  pem: TlsPem | undefined;
  /** How this client authenticates, for messages ("token", "creds file /x", ...); undefined: not at all. */
  auth: string | undefined;
}

export const DEFAULT_CONNECT_TIMEOUT = 10_000;

const AUTH_OPTIONS = ['user', 'pass', 'token', 'creds', 'nkey', 'authenticator'] as const;

export function natsSecurity(given: NatsSecurityOptions = {}, env: NodeJS.ProcessEnv = process.env): NatsSecurity {
  const pem = tlsPemOf('NATS', given.tls, env);
  const options: NatsSecurity['options'] = { timeout: given.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT };
  if (pem) options.tls = { ...pem };
  const fromCode = AUTH_OPTIONS.some((k) => given[k] !== undefined && given[k] !== '');
  const src: NatsSecurityOptions = fromCode ? given : {};
  const e = fromCode ? {} : env;
  const userPass = userPasswordOf('NATS', { user: src.user, password: src.pass }, e, { user: 'user', password: 'pass' });
  const token = settingOf('NATS', 'TOKEN', src.token, e);
  const creds = settingOf('NATS', 'CREDS', src.creds, e);
  const nkey = settingOf('NATS', 'NKEY', src.nkey, e);
  const methods = [userPass && 'user and password', token && 'token', creds && 'creds', nkey && 'nkey', src.authenticator && 'authenticator'].filter(Boolean);
  if (methods.length > 1) {
    throw Failures.engineSettingsInvalid({
      engine: 'NATS',
      problem: `${methods.join(', ')} are all set; a NATS server takes one way to authenticate (${fromCode ? 'options' : `${variableOf('NATS', 'TOKEN')}, _USER/_PASSWORD, _CREDS, _NKEY`})`,
    });
  }
  let auth: string | undefined;
  if (userPass) {
    options.user = userPass.user;
    options.pass = userPass.password;
    auth = `user "${userPass.user}"`;
  } else if (token) {
    options.token = token;
    auth = 'a token';
  } else if (creds) {
    options.authenticator = credsAuthenticator(readSetting('NATS', 'creds file', creds, 'creds', 'CREDS'));
    auth = `the creds file ${creds}`;
  } else if (nkey) {
    const seed = readSetting('NATS', 'NKEY seed file', nkey, 'nkey', 'NKEY').toString('utf8').trim();
    if (!/^S[A-Z2-7]{50,}$/.test(seed)) throw Failures.engineSettingsInvalid({ engine: 'NATS', problem: `${nkey} holds no NKEY seed (one line starting with "S", as \`nk -gen user\` writes it)` });
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
    auth = `the NKEY seed in ${nkey}`;
  } else if (src.authenticator) {
    options.authenticator = src.authenticator;
    auth = 'an authenticator';
  }
  return { options, pem, auth };
}
