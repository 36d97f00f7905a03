/**
 * RabbitMQ's credentials and TLS settings. The broker here (127.0.0.1:5672, guest/guest) has no
 * TLS listener, so: credentials are checked against it (a wrong password is refused with a code,
 * at once; username/password and MESHRPC_AMQP_USER/_PASSWORD replace the URL's), and TLS is
 * checked against a node:tls listener that records the handshake and closes: it proves that
 * amqplib gets our CA, certificate and key for an amqps:// URL, not that a broker accepts them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpClient, AmqpServer, type AmqpClientOptions } from '../../src/transports/index.js';
import { Microservice } from '../../src/microservice/index.js';
import { greeterClient, greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';
import { AMQP_URL, broker } from '../helpers/brokers.js';
import { engineCerts, type EngineCerts } from '../helpers/engine-certs.js';
import { refusedConnect, withEnv } from '../helpers/refused.js';
import { tlsListener, type TlsListener } from '../helpers/tls-listener.js';

const amqpUp = await broker('RabbitMQ', AMQP_URL);
const hostPort = new URL(AMQP_URL).host;

const connectFails = (options: AmqpClientOptions) => refusedConnect(() => AmqpClient.connect({ connectTimeout: 3000, ...options }));

describe.skipIf(!amqpUp)('RabbitMQ credentials (the broker here)', () => {
  const prefix = `sec${randomUUID().slice(0, 8)}`;
  let ms: Microservice;
  beforeAll(async () => {
    // The server's login comes from options; its URL names no user at all.
    ms = new Microservice({ stopTimeoutMs: 2000 }).registerServer('amqp', new AmqpServer({ url: `amqp://${hostPort}`, prefix, username: 'guest', password: 'guest' }));
    ms.publish(greeterHandler(new Greeter()));
    await ms.start();
  });
  afterAll(async () => {
    await ms?.stop();
  });

  it('a wrong password: UNAUTHENTICATED (ACCESS_REFUSED) at once, naming what to check, not a hang', async () => {
    const { err, ms: took } = await connectFails({ url: `amqp://guest:wrong@${hostPort}` });
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/ACCESS_REFUSED.*MESHRPC_AMQP_PASSWORD/);
    expect(err.message).not.toMatch(/wrong/); // no password in the message
    expect(took).toBeLessThan(3000);
  });

  it('username/password replace the URL\'s: right ones call through, a wrong one is refused', async () => {
    const client = await AmqpClient.connect({ url: `amqp://nobody:nothing@${hostPort}`, prefix, username: 'guest', password: 'guest' });
    try {
      expect(await greeterClient(client).greet('login')).toBe('Hello, login');
    } finally {
      await client.close();
    }
    const { err } = await connectFails({ url: AMQP_URL, username: 'guest', password: 'not-it' });
    expect(err.code).toBe('UNAUTHENTICATED');
  });

  it('MESHRPC_AMQP_USER / MESHRPC_AMQP_PASSWORD are read when the options name none', async () => {
    await withEnv({ MESHRPC_AMQP_USER: 'guest', MESHRPC_AMQP_PASSWORD: 'wrong' }, async () => {
      const { err } = await connectFails({ url: AMQP_URL });
      expect(err.code).toBe('UNAUTHENTICATED');
    });
  });

  it('a broker that is not there: UNAVAILABLE, not a hang', async () => {
    const { err } = await connectFails({ url: 'amqp://guest:guest@127.0.0.1:1' });
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/cannot connect to RabbitMQ: .*\(127\.0\.0\.1:1\)/);
  });
});

describe('RabbitMQ TLS options reach amqplib (a node:tls listener, not a broker)', () => {
  let certs: EngineCerts;
  let optional: TlsListener;
  let required: TlsListener;
  beforeAll(async () => {
    certs = await engineCerts('amqp-tls');
    optional = await tlsListener({ ca: certs.ca, ...certs.server, requireClientCert: false });
    required = await tlsListener({ ca: certs.ca, ...certs.server, requireClientCert: true });
  });
  afterAll(async () => {
    await optional?.close();
    await required?.close();
    await certs?.remove();
  });

  it('amqps:// with tls files: the listener sees our client certificate, verified by its CA; the client verified the listener\'s', async () => {
    const seen = optional.handshakes.length;
    const { err } = await connectFails({ url: `amqps://127.0.0.1:${optional.port}`, tls: certs.clientTls });
    expect(optional.handshakes.slice(seen)).toEqual([{ authorized: true, peerSan: 'URI:spiffe://engines.test/client' }]);
    // The listener closes after the handshake: amqplib's AMQP handshake then fails.
    expect(err.code).toBe('UNAVAILABLE');
  });

  it('the files from MESHRPC_AMQP_TLS_CA / _CERT / _KEY do the same', async () => {
    const vars = { MESHRPC_AMQP_TLS_CA: certs.ca, MESHRPC_AMQP_TLS_CERT: certs.client.cert, MESHRPC_AMQP_TLS_KEY: certs.client.key };
    const seen = optional.handshakes.length;
    await withEnv(vars, () => connectFails({ url: `amqps://127.0.0.1:${optional.port}` }));
    expect(optional.handshakes.slice(seen)).toEqual([{ authorized: true, peerSan: 'URI:spiffe://engines.test/client' }]);
  });

  it('without the CA the client refuses the listener\'s certificate: UNAVAILABLE, naming MESHRPC_AMQP_TLS_CA', async () => {
    const seen = optional.handshakes.length;
    const { err } = await connectFails({ url: `amqps://127.0.0.1:${optional.port}`, tls: { ...certs.client } });
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/self-signed certificate.*MESHRPC_AMQP_TLS_CA/);
    expect(optional.handshakes.length).toBe(seen);
  });

  it('a listener that requires a client certificate refuses a client without one: UNAUTHENTICATED (TLS alert)', async () => {
    const { err } = await connectFails({ url: `amqps://127.0.0.1:${required.port}`, tls: { ca: certs.ca } });
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/TLS alert "certificate required".*MESHRPC_AMQP_TLS_CERT/);
  });

  it('TLS files with an amqp:// URL: FAILED_PRECONDITION, use amqps://', async () => {
    const { err } = await connectFails({ url: 'amqp://127.0.0.1:5672', tls: certs.clientTls });
    expect(err.code).toBe('FAILED_PRECONDITION');
    expect(err.message).toMatch(/use amqps:\/\//);
  });
});
