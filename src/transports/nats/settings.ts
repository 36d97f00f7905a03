/**
 * NATS's security settings as plain values (no nats.js types), so `createMesh`'s options in the
 * root entry can carry them. nats.js's own `authenticator` is in security.ts.
 */
import type { EngineTlsFiles } from '../engine-credentials.js';

export interface NatsSecuritySettings {
  /**
   * TLS, as PEM files (MESHRPC_NATS_TLS_CA, MESHRPC_NATS_TLS_CERT, MESHRPC_NATS_TLS_KEY): `ca`
   * verifies the server (the system's roots otherwise); `cert` and `key` are this client's
   * certificate, for a server with `verify: true` (mutual TLS).
   */
  tls?: EngineTlsFiles;
  /** User and password (MESHRPC_NATS_USER, MESHRPC_NATS_PASSWORD), nats.js's `user` and `pass`. */
  user?: string;
  pass?: string;
  /** A token (MESHRPC_NATS_TOKEN). */
  token?: string;
  /** A credentials file: user JWT and NKEY seed, as `nsc` writes it (MESHRPC_NATS_CREDS). */
  creds?: string;
  /** A file holding an NKEY seed, `SU...` (MESHRPC_NATS_NKEY). */
  nkey?: string;
  /** How long the first connect may take, in ms. Default 10 000. */
  connectTimeout?: number;
}
