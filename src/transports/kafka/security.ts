/**
 * Kafka's TLS and SASL -> kafkajs's own `ssl` and `sasl` settings. `ssl` and `sasl` given in
 * code are kafkajs's and pass through as they are. Otherwise: `tls` PEM files or
 * MESHRPC_KAFKA_TLS_CA / _CERT / _KEY become `ssl: { ca, cert, key }` (MESHRPC_KAFKA_TLS=1:
 * `ssl: true`, the system's CAs); MESHRPC_KAFKA_USER / _PASSWORD become `sasl` with
 * MESHRPC_KAFKA_SASL_MECHANISM (plain, scram-sha-256 or scram-sha-512; default plain).
 * No Kafka broker runs on these machines: the mapping is unit-tested, and that kafkajs presents
 * the certificate is checked against a node:tls listener (test/transports/kafka-security.test.ts).
 */
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { MeshError } from '../../core/errors.js';
import { Failures } from '../../core/failures.js';
import { settingOf, tlsFailureOf, tlsPemOf, userPasswordOf, variableOf, type EngineTlsFiles } from '../engine-credentials.js';

export interface KafkaSecurityOptions {
  /** kafkajs `ssl`: `true`, or node:tls connect options. Wins over `tls`. */
  ssl?: KafkaConfig['ssl'];
  /** PEM files for TLS (MESHRPC_KAFKA_TLS_CA / _CERT / _KEY): `ca` verifies the brokers, `cert` and `key` are this client's. */
  tls?: EngineTlsFiles;
  /** kafkajs `sasl`, e.g. `{ mechanism: 'scram-sha-512', username, password }`. */
  sasl?: KafkaConfig['sasl'];
}

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export function kafkaSecurity(given: KafkaSecurityOptions = {}, env: NodeJS.ProcessEnv = process.env): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (given.ssl !== undefined) out.ssl = given.ssl;
  else {
    const pem = tlsPemOf('KAFKA', given.tls, env);
    if (pem) out.ssl = Object.keys(pem).length > 0 ? { ...pem } : true;
  }
  if (given.sasl !== undefined) out.sasl = given.sasl;
  else {
    const login = userPasswordOf('KAFKA', {}, env, { user: 'sasl.username', password: 'sasl.password' });
    if (login) {
      const mechanism = (settingOf('KAFKA', 'SASL_MECHANISM', undefined, env) ?? 'plain').toLowerCase();
      if (!(MECHANISMS as readonly string[]).includes(mechanism)) {
        throw Failures.engineSettingsInvalid({ engine: 'Kafka', problem: `${variableOf('KAFKA', 'SASL_MECHANISM')}="${mechanism}" is not one of ${MECHANISMS.join(', ')} (others: the sasl option)` });
      }
      out.sasl = { mechanism, username: login.user, password: login.password } as SASLOptions;
    }
  }
  return out;
}

/** A failed connect refused by the brokers (SASL, client certificate) or failed in TLS, coded; undefined for anything else. */
export function kafkaRefusal(err: unknown, brokers: readonly string[] | undefined): MeshError | undefined {
  const engine = 'Kafka';
  const address = brokers?.join(',') ?? 'its brokers';
  for (let e = err as { name?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.name === 'KafkaJSSASLAuthenticationError') {
      const hint = `check the sasl option, or ${variableOf('KAFKA', 'USER')} / ${variableOf('KAFKA', 'PASSWORD')} and ${variableOf('KAFKA', 'SASL_MECHANISM')}`;
      return Failures.engineRefusedClient({ engine, address, why: (err as Error).message, hint }, { cause: err });
    }
  }
  const tls = tlsFailureOf(err);
  if (tls?.refusedByPeer) {
    const hint = `it wants a client certificate its CA signed: tls.cert and tls.key, or ${variableOf('KAFKA', 'TLS_CERT')} and ${variableOf('KAFKA', 'TLS_KEY')}`;
    return Failures.engineRefusedClient({ engine, address, why: tls.reason, hint }, { cause: err });
  }
  if (tls) return Failures.engineTlsFailed({ engine, address, why: tls.reason, hint: `set tls.ca or ${variableOf('KAFKA', 'TLS_CA')} to the CA that signed the brokers' certificates` }, { cause: err });
  return undefined;
}
