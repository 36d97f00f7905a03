/**
 * Kafka's TLS and SASL settings. No Kafka broker runs here, so this checks the wiring only: how
 * options and MESHRPC_KAFKA_* variables map onto kafkajs's `ssl` and `sasl` (unit), that a
 * KafkaClient given `tls` files presents its certificate and verifies the other end (against a
 * node:tls listener that records the handshake and closes: not a broker), and how a failed
 * connect is coded. That a broker accepts SASL is not tested here.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClient } from '../../src/transports/index.js';
import { kafkaRefusal, kafkaSecurity } from '../../src/transports/kafka/security.js';
import { engineCerts, type EngineCerts } from '../helpers/engine-certs.js';
import { refusedConnect } from '../helpers/refused.js';
import { tlsListener, type TlsListener } from '../helpers/tls-listener.js';

let certs: EngineCerts;
beforeAll(async () => {
  certs = await engineCerts('kafka-tls');
});
afterAll(async () => {
  await certs?.remove();
});

describe('Kafka settings -> kafkajs ssl and sasl', () => {
  it('nothing set: neither ssl nor sasl', () => {
    expect(kafkaSecurity({}, {})).toEqual({});
  });

  it('tls files (option or MESHRPC_KAFKA_TLS_*) become ssl { ca, cert, key } as PEM text', () => {
    const pem = { ca: readFileSync(certs.ca, 'utf8'), cert: readFileSync(certs.client.cert, 'utf8'), key: readFileSync(certs.client.key, 'utf8') };
    expect(kafkaSecurity({ tls: certs.clientTls }, {})).toEqual({ ssl: pem });
    const env = { MESHRPC_KAFKA_TLS_CA: certs.ca, MESHRPC_KAFKA_TLS_CERT: certs.client.cert, MESHRPC_KAFKA_TLS_KEY: certs.client.key };
    expect(kafkaSecurity({}, env)).toEqual({ ssl: pem });
    expect(kafkaSecurity({}, { MESHRPC_KAFKA_TLS_CA: certs.ca })).toEqual({ ssl: { ca: pem.ca } });
  });

  it('MESHRPC_KAFKA_TLS=1 (or tls: {}) is ssl: true, the system\'s CAs', () => {
    expect(kafkaSecurity({}, { MESHRPC_KAFKA_TLS: '1' })).toEqual({ ssl: true });
    expect(kafkaSecurity({ tls: {} }, {})).toEqual({ ssl: true });
  });

  it('kafkajs\'s own ssl and sasl pass through and win over files and variables', () => {
    const sasl = { mechanism: 'scram-sha-256' as const, username: 'u', password: 'p' };
    const env = { MESHRPC_KAFKA_TLS_CA: certs.ca, MESHRPC_KAFKA_USER: 'x', MESHRPC_KAFKA_PASSWORD: 'y' };
    expect(kafkaSecurity({ ssl: { rejectUnauthorized: true, servername: 'kafka' }, sasl }, env)).toEqual({ ssl: { rejectUnauthorized: true, servername: 'kafka' }, sasl });
  });

  it('MESHRPC_KAFKA_USER / _PASSWORD become sasl, plain unless MESHRPC_KAFKA_SASL_MECHANISM says otherwise', () => {
    expect(kafkaSecurity({}, { MESHRPC_KAFKA_USER: 'svc', MESHRPC_KAFKA_PASSWORD: 'pw' })).toEqual({ sasl: { mechanism: 'plain', username: 'svc', password: 'pw' } });
    expect(kafkaSecurity({}, { MESHRPC_KAFKA_USER: 'svc', MESHRPC_KAFKA_PASSWORD: 'pw', MESHRPC_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' })).toEqual({
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'pw' },
    });
  });

  it('half a setting, an unknown mechanism or an unreadable file: FAILED_PRECONDITION naming the variable', () => {
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ MESHRPC_KAFKA_USER: 'svc' }, /MESHRPC_KAFKA_PASSWORD/],
      [{ MESHRPC_KAFKA_USER: 'svc', MESHRPC_KAFKA_PASSWORD: 'pw', MESHRPC_KAFKA_SASL_MECHANISM: 'gssapi' }, /MESHRPC_KAFKA_SASL_MECHANISM="gssapi"/],
      [{ MESHRPC_KAFKA_TLS_CERT: certs.client.cert }, /MESHRPC_KAFKA_TLS_KEY/],
      [{ MESHRPC_KAFKA_TLS_CA: '/nonexistent/ca.pem' }, /cannot read the Kafka CA file \/nonexistent\/ca\.pem \(tls\.ca or MESHRPC_KAFKA_TLS_CA\)/],
    ];
    for (const [env, message] of cases) {
      expect(() => kafkaSecurity({}, env)).toThrow(expect.objectContaining({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(message) }));
    }
  });

  it('a refused SASL login is UNAUTHENTICATED, however deep kafkajs wraps it', () => {
    const sasl = Object.assign(new Error('SASL PLAIN authentication failed: Authentication failed'), { name: 'KafkaJSSASLAuthenticationError' });
    const wrapped = Object.assign(new Error(sasl.message), { name: 'KafkaJSNumberOfRetriesExceeded', cause: sasl });
    const err = kafkaRefusal(wrapped, ['b1:9093'])!;
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/Kafka at b1:9093 refused this client \(SASL PLAIN authentication failed.*MESHRPC_KAFKA_USER/);
  });
});

describe('Kafka TLS options reach kafkajs (a node:tls listener, not a broker)', () => {
  let listener: TlsListener;
  beforeAll(async () => {
    listener = await tlsListener({ ca: certs.ca, ...certs.server, requireClientCert: false });
  });
  afterAll(async () => {
    await listener?.close();
  });

  async function connectFails(options: Parameters<typeof KafkaClient.connect>[0]) {
    // kafkajs's idempotent producer wants at least one retry; keep it short.
    const retry = { retries: 1, initialRetryTime: 50, maxRetryTime: 500 };
    return (await refusedConnect(() => KafkaClient.connect({ brokers: [`127.0.0.1:${listener.port}`], retry, ...options }))).err;
  }

  it('with tls files the listener sees our client certificate, verified by its CA; then UNAVAILABLE (no broker behind it)', async () => {
    const seen = listener.handshakes.length;
    const err = await connectFails({ tls: certs.clientTls });
    expect(listener.handshakes.length).toBeGreaterThan(seen);
    expect(listener.handshakes.slice(seen).every((h) => h.authorized && h.peerSan === 'URI:spiffe://engines.test/client')).toBe(true);
    expect(err.code).toBe('UNAVAILABLE');
  });

  it('without the CA kafkajs refuses the listener\'s certificate: UNAVAILABLE, naming MESHRPC_KAFKA_TLS_CA', async () => {
    const seen = listener.handshakes.length;
    const err = await connectFails({ tls: { ...certs.client } });
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/self-signed certificate.*MESHRPC_KAFKA_TLS_CA/);
    expect(listener.handshakes.length).toBe(seen);
  });
});
