/**
 * One way to connect to NATS for NatsServer, NatsClient and NatsMesh: reconnect forever once up
 * (so calls after a server restart succeed), the security settings of security.ts, and a first
 * connect that fails with a code and a reason: UNAUTHENTICATED when the server refused this
 * client (credentials, or its client certificate), UNAVAILABLE when it cannot be reached or its
 * certificate cannot be verified.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { MeshError } from '../../core/errors.js';
import { Failures } from '../../core/failures.js';
import { tlsFailureOf, variableOf } from '../engine-credentials.js';
import { natsSecurity, type NatsSecurity, type NatsSecurityOptions } from './security.js';
import { probeNatsTls } from './tls-probe.js';

export const DEFAULT_NATS_SERVER = '127.0.0.1:4222';

export async function connectNats(
  servers: string | string[] | undefined,
  name: string,
  security: NatsSecurityOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<NatsConnection> {
  const s = natsSecurity(security, env);
  const target = servers ?? env.NATS_URL ?? DEFAULT_NATS_SERVER;
  try {
    return await connect({
      servers: target,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // Failures are mapped to MeshErrors; an eager stack trace per request cost ~35% of CPU.
      noAsyncTraces: true,
      ...s.options,
    });
  } catch (err) {
    throw await connectFailure(err, Array.isArray(target) ? target : target.split(','), s);
  }
}

const NATS_AUTH_VARIABLES = `${variableOf('NATS', 'TOKEN')}, ${variableOf('NATS', 'USER')} and ${variableOf('NATS', 'PASSWORD')}, ${variableOf('NATS', 'CREDS')} or ${variableOf('NATS', 'NKEY')}`;
const CLIENT_CERT_HINT = `it wants a client certificate its CA signed: set ${variableOf('NATS', 'TLS_CERT')} and ${variableOf('NATS', 'TLS_KEY')} (or tls.cert, tls.key)`;
const WRONG_CERT_HINT = `it did not accept the client certificate (${variableOf('NATS', 'TLS_CERT')}, tls.cert): it must be valid and signed by a CA in the server's ca_file`;
const SERVER_CA_HINT = `set ${variableOf('NATS', 'TLS_CA')} (or tls.ca) to the CA that signed the server's certificate`;

async function connectFailure(err: unknown, servers: string[], s: NatsSecurity): Promise<MeshError> {
  const e = err as Error;
  const address = servers.join(',');
  const engine = 'NATS' as const;
  if (e?.name === 'AuthorizationError') {
    const hint = s.auth ? `check ${s.auth}` : `it requires authentication: set ${NATS_AUTH_VARIABLES}`;
    return Failures.engineRefusedClient({ engine, address, why: e.message, hint }, { cause: err });
  }
  let tls = tlsFailureOf(err);
  if (!tls && e?.name === 'TimeoutError') tls = await probeNatsTls(servers[0]!.trim(), s.pem);
  if (tls?.refusedByPeer) return Failures.engineRefusedClient({ engine, address, why: tls.reason, hint: s.pem?.cert ? WRONG_CERT_HINT : CLIENT_CERT_HINT }, { cause: err });
  if (tls) return Failures.engineTlsFailed({ engine, address, why: tls.reason, hint: SERVER_CA_HINT }, { cause: err });
  const why = e?.name === 'TimeoutError' ? `no answer within ${s.options.timeout} ms` : e?.message ?? String(err);
  return Failures.brokerUnreachable({ broker: engine, why: `${why} (${address})` }, { cause: err });
}
