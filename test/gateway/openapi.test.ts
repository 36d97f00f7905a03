/**
 * Named types in /openapi.json: one component per type, under its own name when every service
 * defining that name defines it alike, `<service>.<Name>` when they differ (or when it would
 * take the gateway's own `Error`). A real Mesh node in this process and the gateway's routes
 * through Fastify's inject; the document is validated as OpenAPI 3.1.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, describe, expect, it } from 'vitest';
import { Mesh, createHandler, defineService, type JsonSchema, type MethodSpec } from '../../src/index.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';

const money: JsonSchema = { type: 'object', properties: { cents: { type: 'integer' } }, required: ['cents'] };

/** A one-method service whose argument and result are named types defined in $defs. */
function service(name: string, defs: Record<string, JsonSchema>, param: string, result: string) {
  const method: MethodSpec = {
    params: ['x'],
    paramsSchema: { type: 'object', properties: { x: { $ref: `#/$defs/${param}` } }, required: ['x'], $defs: defs },
    resultSchema: { $ref: `#/$defs/${result}`, $defs: defs },
  };
  const spec = defineService<{ run(x: unknown): Promise<unknown> }>(name, { run: method });
  return createHandler(spec, { run: async (x: unknown) => x });
}

let mesh: Mesh;
let gateway: Gateway;

afterAll(async () => {
  await gateway?.close();
  await mesh?.close();
});

describe('components.schemas', () => {
  it('holds each named type once, qualified by service only where names clash', async () => {
    mesh = new Mesh({ name: 'openapi-test' });
    mesh.publish(service('shop', { Money: money, Item: { type: 'string' } }, 'Item', 'Money'));
    mesh.publish(service('bank', { Money: money, Item: { type: 'number' } }, 'Money', 'Item'));
    mesh.publish(service('oops', { Error: { type: 'boolean' } }, 'Error', 'Error'));
    await mesh.listen();
    gateway = createGateway(mesh, { logger: false, metrics: false });
    const res = await gateway.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as Record<string, any>;

    const validator = new Validator();
    expect((await validator.validate(structuredClone(doc))).errors).toBeUndefined();
    expect(() => validator.resolveRefs()).not.toThrow();

    expect(Object.keys(doc.components.schemas).sort()).toEqual(['Error', 'Money', 'bank.Item', 'oops.Error', 'shop.Item']);
    expect(doc.components.schemas.Money).toEqual(money);
    expect(doc.components.schemas['shop.Item']).toEqual({ type: 'string' });
    expect(doc.components.schemas['bank.Item']).toEqual({ type: 'number' });
    const op = (path: string) => doc.paths[path].post;
    const body = (path: string) => op(path).requestBody.content['application/json'].schema;
    const reply = (path: string) => op(path).responses['200'].content['application/json'].schema;
    expect(body('/shop/run').properties.x).toEqual({ $ref: '#/components/schemas/shop.Item' });
    expect(reply('/shop/run')).toEqual({ $ref: '#/components/schemas/Money' });
    expect(body('/bank/run').properties.x).toEqual({ $ref: '#/components/schemas/Money' });
    expect(reply('/bank/run')).toEqual({ $ref: '#/components/schemas/bank.Item' });
    expect(reply('/oops/run')).toEqual({ $ref: '#/components/schemas/oops.Error' });
    // No method schema keeps a $defs of its own.
    expect(JSON.stringify(doc.paths)).not.toContain('$defs');
  });
});
