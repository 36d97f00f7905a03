/**
 * NATS with TLS and authentication, against nats-server processes this file starts on free
 * loopback ports (the shared server on 4222 is never touched): one with mutual TLS
 * (`verify: true`) and a token, one with users (a password, an NKEY), one in operator mode (JWT
 * users with .creds files). With the right settings a
 * NatsServer and a NatsClient, NatsMesh nodes from MESHRPC_NATS_* variables, and the gateway on
 * NATS call through; without them the first connect fails with a code and a reason, not a hang.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsClient, NatsMesh, NatsServer, type NatsClientOptions } from '../../src/transports/index.js';
import { createMesh } from '../../src/transports/select.js';
import { Microservice } from '../../src/microservice/index.js';
import { gatewayConfigFromEnv, startGateway } from '../../src/gateway/run.js';
import { greeterClient, greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';
import { engineCerts, type EngineCerts } from '../helpers/engine-certs.js';
import { refusedConnect, withEnv } from '../helpers/refused.js';
import { natsOperator } from '../helpers/nats-jwt.js';
import { PrivateNats, privateNatsAvailable } from '../fixtures/transports/nats-server.js';

const available = privateNatsAvailable();
const TOKEN = 's3cret-token';
// Short, so a refused handshake (which nats.js only notices at its connect timeout) is quick here.
const connectTimeout = 1500;

/** Connect a client with these settings and return how it failed, and how long that took. */
const refusal = (options: NatsClientOptions) => refusedConnect(() => NatsClient.connect({ connectTimeout, ...options }));

/** A Microservice serving the greeter on this NatsServer. */
async function serveGreeter(server: NatsServer): Promise<Microservice> {
  const ms = new Microservice({ stopTimeoutMs: 2000 }).registerServer('nats', server);
  ms.publish(greeterHandler(new Greeter()));
  await ms.start();
  return ms;
}

describe.skipIf(!available)('NATS with mutual TLS and a token', () => {
  let certs: EngineCerts;
  let nats: PrivateNats;
  let ms: Microservice;
  const prefix = `s${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    certs = await engineCerts('nats-tls');
    const conf = path.join(certs.dir, 'nats.conf');
    await writeFile(
      conf,
      `tls { cert_file: "${certs.server.cert}", key_file: "${certs.server.key}", ca_file: "${certs.ca}", verify: true, timeout: 2 }\n` +
        `authorization { token: "${TOKEN}" }\n`,
    );
    nats = await PrivateNats.start(['-c', conf]);
    ms = await serveGreeter(new NatsServer({ servers: nats.url, prefix, tls: certs.clientTls, token: TOKEN }));
  });
  afterAll(async () => {
    await ms?.stop();
    await nats?.stop();
    await certs?.remove();
  });

  it('a NatsServer and a NatsClient with the CA, a client certificate and the token call through', async () => {
    const client = await NatsClient.connect({ servers: nats.url, prefix, tls: certs.clientTls, token: TOKEN });
    try {
      expect(await greeterClient(client).greet('tls')).toBe('Hello, tls');
    } finally {
      await client.close();
    }
  });

  it('NatsMesh nodes from createMesh take MESHRPC_NATS_TLS_CA/_CERT/_KEY and MESHRPC_NATS_TOKEN', async () => {
    const vars = { MESHRPC_NATS_TLS_CA: certs.ca, MESHRPC_NATS_TLS_CERT: certs.client.cert, MESHRPC_NATS_TLS_KEY: certs.client.key, MESHRPC_NATS_TOKEN: TOKEN };
    await withEnv(vars, async () => {
      const meshPrefix = `m${randomUUID().slice(0, 8)}`;
      const server = await createMesh({ name: 'greeter', transport: nats.url, nats: { prefix: meshPrefix, announceInterval: 200 } });
      const caller = await createMesh({ name: 'caller', transport: nats.url, nats: { prefix: meshPrefix, announceInterval: 200 } });
      expect(server).toBeInstanceOf(NatsMesh);
      try {
        server.publish(greeterHandler(new Greeter()));
        await server.listen();
        await caller.listen();
        await caller.waitFor('greeter', 5000);
        expect(await greeterClient(caller).greet('env')).toBe('Hello, env');
      } finally {
        await Promise.all([server.close(), caller.close()]);
      }
    });
  });

  it('the gateway on NATS (MESHRPC_TRANSPORT) connects with the same variables and answers over HTTP', async () => {
    const vars = { MESHRPC_NATS_TLS_CA: certs.ca, MESHRPC_NATS_TLS_CERT: certs.client.cert, MESHRPC_NATS_TLS_KEY: certs.client.key, MESHRPC_NATS_TOKEN: TOKEN, MESHRPC_NATS_PREFIX: prefix };
    await withEnv(vars, async () => {
      const greeter = await createMesh({ name: 'greeter', transport: nats.url, nats: { announceInterval: 200 } });
      greeter.publish(greeterHandler(new Greeter()));
      await greeter.listen();
      const running = await startGateway(gatewayConfigFromEnv({ APP_HTTP_PORT: '127.0.0.1:0', MESHRPC_TRANSPORT: nats.url }));
      try {
        await running.mesh.waitFor('greeter', 5000);
        const res = await fetch(`http://${running.httpAddress}/greeter/greet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"gw"}' });
        expect(res.status).toBe(200);
        expect(await res.json()).toBe('Hello, gw');
      } finally {
        await running.close();
        await greeter.close();
      }
    });
  });

  it('without a client certificate: UNAUTHENTICATED, the server\'s alert as the reason, within the connect bound', async () => {
    const { err, ms: took } = await refusal({ servers: nats.url, tls: { ca: certs.ca }, token: TOKEN });
    expect(err.code).toBe('UNAUTHENTICATED');
    // Go's TLS stack answers a missing client certificate with "bad certificate" (alert 42).
    expect(err.message).toMatch(/TLS alert "(bad certificate|certificate required)"/);
    expect(err.message).toMatch(/MESHRPC_NATS_TLS_CERT/);
    expect(took).toBeLessThan(connectTimeout + 4000);
  });

  it('with a client certificate of another CA: UNAUTHENTICATED (unknown ca)', async () => {
    const { err } = await refusal({ servers: nats.url, tls: { ca: certs.ca, ...certs.stranger }, token: TOKEN });
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/TLS alert "(bad certificate|unknown ca)"/);
  });

  it('without the server\'s CA: UNAVAILABLE, its certificate cannot be verified, say to set MESHRPC_NATS_TLS_CA', async () => {
    const { err, ms: took } = await refusal({ servers: nats.url, tls: { ...certs.client }, token: TOKEN });
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/verify|certificate/);
    expect(err.message).toMatch(/MESHRPC_NATS_TLS_CA/);
    expect(took).toBeLessThan(connectTimeout + 4000);
  });

  it('without the token, or with a wrong one: UNAUTHENTICATED (Authorization Violation), naming what to set', async () => {
    const none = await refusal({ servers: nats.url, tls: certs.clientTls });
    expect(none.err.code).toBe('UNAUTHENTICATED');
    expect(none.err.message).toMatch(/Authorization Violation.*MESHRPC_NATS_TOKEN/);
    const wrong = await refusal({ servers: nats.url, tls: certs.clientTls, token: 'not-it' });
    expect(wrong.err.code).toBe('UNAUTHENTICATED');
    expect(wrong.err.message).toMatch(/check a token/);
  });

  it('a NatsMesh that is refused fails listen() with the code, and is closed', async () => {
    const node = new NatsMesh({ name: 'x', servers: nats.url, tls: certs.clientTls, token: 'not-it', connectTimeout });
    await expect(node.listen()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe.skipIf(!available)('NATS with users: a password and an NKEY', () => {
  let certs: EngineCerts;
  let nats: PrivateNats;
  let seedFile: string;
  let ms: Microservice;
  const prefix = `u${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    certs = await engineCerts('nats-users');
    const user = nkeys.createUser();
    seedFile = path.join(certs.dir, 'user.nk');
    await writeFile(seedFile, new TextDecoder().decode(user.getSeed()) + '\n', { mode: 0o600 });
    const conf = path.join(certs.dir, 'nats.conf');
    await writeFile(conf, `authorization { users: [ { user: "alice", password: "wonder land" }, { nkey: "${user.getPublicKey()}" } ] }\n`);
    nats = await PrivateNats.start(['-c', conf]);
    ms = await serveGreeter(new NatsServer({ servers: nats.url, prefix, user: 'alice', pass: 'wonder land' }));
  });
  afterAll(async () => {
    await ms?.stop();
    await nats?.stop();
    await certs?.remove();
  });

  it('user and password from MESHRPC_NATS_USER / MESHRPC_NATS_PASSWORD call through; a wrong password is UNAUTHENTICATED', async () => {
    await withEnv({ MESHRPC_NATS_USER: 'alice', MESHRPC_NATS_PASSWORD: 'wonder land' }, async () => {
      const client = await NatsClient.connect({ servers: nats.url, prefix });
      try {
        expect(await greeterClient(client).greet('alice')).toBe('Hello, alice');
      } finally {
        await client.close();
      }
    });
    const { err } = await refusal({ servers: nats.url, user: 'alice', pass: 'wrong' });
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/check user "alice"/);
  });

  it('an NKEY seed file (nkey option, MESHRPC_NATS_NKEY) calls through', async () => {
    const client = await NatsClient.connect({ servers: nats.url, prefix, nkey: seedFile });
    try {
      expect(await greeterClient(client).greet('nkey')).toBe('Hello, nkey');
    } finally {
      await client.close();
    }
    await withEnv({ MESHRPC_NATS_NKEY: seedFile }, async () => {
      const viaEnv = await NatsClient.connect({ servers: nats.url, prefix });
      try {
        expect(await greeterClient(viaEnv).greet('env')).toBe('Hello, env');
      } finally {
        await viaEnv.close();
      }
    });
  });

  it('an NKEY the server does not know is UNAUTHENTICATED', async () => {
    const stranger = path.join(certs.dir, 'stranger.nk');
    await writeFile(stranger, new TextDecoder().decode(nkeys.createUser().getSeed()));
    const { err } = await refusal({ servers: nats.url, nkey: stranger });
    expect(err.code).toBe('UNAUTHENTICATED');
  });
});

describe.skipIf(!available)('NATS in operator mode: a .creds file', () => {
  let certs: EngineCerts;
  let nats: PrivateNats;
  let creds: string;
  const operator = natsOperator();

  beforeAll(async () => {
    certs = await engineCerts('nats-creds');
    creds = path.join(certs.dir, 'greeter.creds');
    await writeFile(creds, operator.userCreds('greeter'), { mode: 0o600 });
    const conf = path.join(certs.dir, 'nats.conf');
    await writeFile(conf, operator.config);
    nats = await PrivateNats.start(['-c', conf]);
  });
  afterAll(async () => {
    await nats?.stop();
    await certs?.remove();
  });

  it('NatsMesh nodes with MESHRPC_NATS_CREDS (the creds option for one of them) call through', async () => {
    const prefix = `c${randomUUID().slice(0, 8)}`;
    const server = new NatsMesh({ name: 'greeter', servers: nats.url, prefix, announceInterval: 200, creds }).publish(greeterHandler(new Greeter()));
    await server.listen();
    try {
      await withEnv({ MESHRPC_NATS_CREDS: creds }, async () => {
        const caller = new NatsMesh({ name: 'caller', servers: nats.url, prefix, announceInterval: 200 });
        await caller.listen();
        try {
          await caller.waitFor('greeter', 5000);
          expect(await greeterClient(caller).greet('creds')).toBe('Hello, creds');
        } finally {
          await caller.close();
        }
      });
    } finally {
      await server.close();
    }
  });

  it('without creds, or with a user of another operator: UNAUTHENTICATED', async () => {
    const none = await refusal({ servers: nats.url });
    expect(none.err.code).toBe('UNAUTHENTICATED');
    expect(none.err.message).toMatch(/MESHRPC_NATS_CREDS/);
    const foreign = path.join(certs.dir, 'foreign.creds');
    await writeFile(foreign, natsOperator().userCreds('greeter'));
    const other = await refusal({ servers: nats.url, creds: foreign });
    expect(other.err.code).toBe('UNAUTHENTICATED');
    expect(other.err.message).toMatch(/check the creds file/);
  });
});
