/**
 * The engines' TLS and credential settings, without a server: which of options and MESHRPC_*
 * variables win, what half a setting says, and what each engine's library is handed (nats.js
 * ConnectionOptions, amqplib socket options, grpc-js channel options). The servers themselves
 * are in nats-security, grpc-tls, amqp-security and kafka-security.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsFailureOf, tlsFilesOf } from '../../src/transports/engine-credentials.js';
import { natsSecurity } from '../../src/transports/nats/security.js';
import { amqpConnectArgs } from '../../src/transports/amqp/security.js';
import { grpcChannelCredentials } from '../../src/transports/grpc/security.js';
import { engineCerts, type EngineCerts } from '../helpers/engine-certs.js';

let certs: EngineCerts;
beforeAll(async () => {
  certs = await engineCerts('engine-settings');
});
afterAll(async () => {
  await certs?.remove();
});

const precondition = (message: RegExp) => expect.objectContaining({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(message) });

describe('TLS files from options or MESHRPC_<ENGINE>_TLS_*', () => {
  it('the option wins as a whole over the variables; the variables are read without it', () => {
    const env = { MESHRPC_NATS_TLS_CA: '/env/ca.pem', MESHRPC_NATS_TLS_CERT: '/env/c.pem', MESHRPC_NATS_TLS_KEY: '/env/c.key' };
    expect(tlsFilesOf('NATS', { ca: '/opt/ca.pem' }, env)).toEqual({ ca: '/opt/ca.pem', cert: undefined, key: undefined });
    expect(tlsFilesOf('NATS', undefined, env)).toEqual({ ca: '/env/ca.pem', cert: '/env/c.pem', key: '/env/c.key' });
    expect(tlsFilesOf('NATS', undefined, { MESHRPC_GRPC_TLS_CA: '/x' })).toBeUndefined(); // another engine's
    expect(tlsFilesOf('GRPC', undefined, { MESHRPC_GRPC_TLS_CA: '  ' })).toBeUndefined(); // blank is unset
  });

  it('a certificate without its key, or a key without its certificate: FAILED_PRECONDITION naming what to set', () => {
    expect(() => tlsFilesOf('GRPC', undefined, { MESHRPC_GRPC_TLS_CERT: '/c.pem' })).toThrow(precondition(/gRPC settings: a TLS certificate without its key: set tls.key or MESHRPC_GRPC_TLS_KEY/));
    expect(() => tlsFilesOf('AMQP', { key: '/c.key' }, {})).toThrow(precondition(/RabbitMQ settings: a TLS key without its certificate: set tls.cert or MESHRPC_AMQP_TLS_CERT/));
  });

  it('TLS failures are told apart: an alert from the peer (it refused us) from our own verification of it', () => {
    const alert = Object.assign(new Error('80:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:rec_layer_s3.c:1601:SSL alert number 116'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    expect(tlsFailureOf(alert)).toEqual({ refusedByPeer: true, reason: 'TLS alert "certificate required"' });
    const verify = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(tlsFailureOf(new Error('wrapped', { cause: verify }))).toEqual({ refusedByPeer: false, reason: 'self-signed certificate in certificate chain' });
    expect(tlsFailureOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });
});

describe('NATS settings -> nats.js ConnectionOptions', () => {
  it('TLS files are handed over as PEM text; a token, a user and password from the variables', () => {
    const env = { MESHRPC_NATS_TLS_CA: certs.ca, MESHRPC_NATS_TOKEN: 't0k' };
    const s = natsSecurity({}, env);
    expect(s.options.tls).toEqual({ ca: readFileSync(certs.ca, 'utf8') });
    expect(s.options.token).toBe('t0k');
    expect(natsSecurity({}, { MESHRPC_NATS_USER: 'a', MESHRPC_NATS_PASSWORD: 'b' }).options).toMatchObject({ user: 'a', pass: 'b' });
    expect(natsSecurity({}, {}).options).toEqual({ timeout: 10_000 });
  });

  it('a way to authenticate given in code makes the variables\' ones unread', () => {
    const s = natsSecurity({ user: 'code', pass: 'pw' }, { MESHRPC_NATS_TOKEN: 'env-token', MESHRPC_NATS_CREDS: '/no/such.creds' });
    expect(s.options).toMatchObject({ user: 'code', pass: 'pw' });
    expect(s.options.token).toBeUndefined();
  });

  it('two ways at once, half a login, an unreadable creds file or a bad seed: FAILED_PRECONDITION', async () => {
    expect(() => natsSecurity({}, { MESHRPC_NATS_TOKEN: 't', MESHRPC_NATS_USER: 'u', MESHRPC_NATS_PASSWORD: 'p' })).toThrow(precondition(/user and password, token are all set/));
    expect(() => natsSecurity({}, { MESHRPC_NATS_USER: 'u' })).toThrow(precondition(/a user without a password: set pass or MESHRPC_NATS_PASSWORD/));
    expect(() => natsSecurity({}, { MESHRPC_NATS_CREDS: '/no/such.creds' })).toThrow(precondition(/cannot read the NATS creds file \/no\/such\.creds \(creds or MESHRPC_NATS_CREDS\)/));
    const notASeed = path.join(certs.dir, 'not-a-seed');
    await writeFile(notASeed, 'hello');
    expect(() => natsSecurity({ nkey: notASeed })).toThrow(precondition(/holds no NKEY seed/));
  });
});

describe('RabbitMQ settings -> amqplib connect(url, socketOptions)', () => {
  it('TLS files become the socket options ca, cert and key, for an amqps:// URL', () => {
    const args = amqpConnectArgs('amqps://broker:5671', { tls: certs.clientTls }, {});
    expect(args.socketOptions).toMatchObject({ ca: readFileSync(certs.ca, 'utf8'), cert: readFileSync(certs.client.cert, 'utf8'), key: readFileSync(certs.client.key, 'utf8') });
    expect(args.address).toBe('broker:5671');
  });

  it('MESHRPC_AMQP_USER / _PASSWORD become PLAIN credentials; the address for messages holds no password', () => {
    const args = amqpConnectArgs('amqp://guest:secret@broker', {}, { MESHRPC_AMQP_USER: 'svc', MESHRPC_AMQP_PASSWORD: 'pw' });
    expect(args.socketOptions.credentials).toMatchObject({ mechanism: 'PLAIN', username: 'svc', password: 'pw' });
    expect(args.address).toBe('broker:5672');
    expect(amqpConnectArgs('amqp://guest:secret@broker', {}, {}).socketOptions.credentials).toBeUndefined(); // the URL's then
  });

  it('TLS asked for with an amqp:// URL: FAILED_PRECONDITION, use amqps://', () => {
    expect(() => amqpConnectArgs('amqp://broker', {}, { MESHRPC_AMQP_TLS_CA: certs.ca })).toThrow(precondition(/use amqps:\/\//));
  });
});

describe('gRPC client settings', () => {
  it('MESHRPC_GRPC_TLS_SERVER_NAME (or tls.serverName) overrides the name checked in the server\'s certificate', () => {
    const { channelOptions } = grpcChannelCredentials({}, { MESHRPC_GRPC_TLS_CA: certs.ca, MESHRPC_GRPC_TLS_SERVER_NAME: 'greeter' });
    expect(channelOptions).toMatchObject({ 'grpc.ssl_target_name_override': 'greeter', 'grpc.default_authority': 'greeter' });
    expect(grpcChannelCredentials({}, {}).credentials._isSecure()).toBe(false);
    expect(grpcChannelCredentials({}, { MESHRPC_GRPC_TLS: '1' }).credentials._isSecure()).toBe(true);
  });
});
