/**
 * The gateway describes what the Quick start publishes: a greeter published with
 * `mesh.publish(greeterHandler(...))` appears in /openapi.json with its parameter and result
 * schemas, its named type once in components.schemas, on the built-in mesh and on NATS, and the
 * service process never loads Fastify for it. Real gateway and service processes.
 */
import { randomUUID } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, describe, expect, it } from 'vitest';
import { NATS_URL, broker } from '../helpers/brokers.js';
import { killAll, startTs } from '../helpers/procs.js';
import { instancesOf, startGatewayProc, until } from './helpers.js';

const natsUp = await broker('NATS', NATS_URL);

afterAll(async () => {
  await killAll();
});

const POSTCARD = {
  type: 'object',
  properties: { pictureURL: { type: 'string' }, address: { type: 'string' }, recipient: { type: 'string' }, message: { type: 'string' } },
  required: ['address', 'recipient', 'message'],
};

/** Start a gateway and the Quick start greeter on one engine; check the gateway's document. */
async function describesQuickStart(engine: Record<string, string>): Promise<void> {
  const gw = await startGatewayProc([], engine);
  const greeter = await startTs('test/fixtures/gateway/quickstart.ts', { ...engine, MESHRPC_CLUSTER_NODES: gw.meshAddr });
  expect(greeter.ready).toEqual(['fastify=false']);
  await until(async () => (await instancesOf(gw, 'greeter')) === 1, 10_000, 'the gateway to see the greeter');

  const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as Record<string, any>;
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc)); // resolveRefs() dereferences what it validated
  expect(result.errors).toBeUndefined();
  expect(validator.version).toBe('3.1');
  expect(() => validator.resolveRefs()).not.toThrow();

  const body = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema;
  const reply = (path: string) => doc.paths[path].post.responses['200'].content['application/json'].schema;
  expect(body('/greeter/greet')).toEqual({ type: 'object', properties: { name: { type: 'string' } }, required: ['name'] });
  expect(reply('/greeter/greet')).toEqual({ type: 'string' });
  expect(body('/greeter/sendPostcard')).toEqual({
    type: 'object',
    properties: { card: { $ref: '#/components/schemas/Postcard' } },
    required: ['card'],
  });
  expect(reply('/greeter/sendPostcard')).toEqual({ $ref: '#/components/schemas/Postcard' });
  // The named type once, under its own name, and nothing per method.
  expect(doc.components.schemas.Postcard).toEqual(POSTCARD);
  expect(Object.keys(doc.components.schemas).sort()).toEqual(['Error', 'Postcard']);
  expect(JSON.stringify(doc).split('"pictureURL"').length - 1).toBe(1);
  await greeter.stop();
  await gw.stop();
}

describe('/openapi.json for the Quick start greeter', () => {
  it('the fastify check can see Fastify when a service does load it', async () => {
    const loaded = await startTs('test/fixtures/gateway/quickstart.ts', { QUICKSTART_LOAD_GATEWAY: '1', MESHRPC_TRANSPORT: 'mesh' });
    expect(loaded.ready).toEqual(['fastify=true']);
    await loaded.stop();
  });

  it('carries its schemas over the built-in mesh', async () => {
    await describesQuickStart({ MESHRPC_TRANSPORT: 'mesh' });
  }, 40_000);

  it.skipIf(!natsUp)('carries its schemas over NATS', async () => {
    await describesQuickStart({ MESHRPC_TRANSPORT: NATS_URL, MESHRPC_NATS_PREFIX: `t${randomUUID().slice(0, 8)}` });
  }, 40_000);
});
