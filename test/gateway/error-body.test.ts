/**
 * The gateway's JSON error body keeps what crossed the mesh: code, message, details and the name
 * of the error the service threw (`remoteName`). A service node and a gateway node on loopback,
 * called over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mesh, MeshError, createHandler, defineService } from 'meshrpc';
import { createGateway, type Gateway } from '../../src/gateway/index.js';

interface Faulty {
  typeError(): Promise<void>;
  coded(): Promise<void>;
}
const faultySpec = defineService<Faulty>('faulty', { typeError: [], coded: [] });
const faulty: Faulty = {
  typeError: async () => {
    throw new TypeError('x is undefined');
  },
  coded: async () => {
    throw new MeshError('PERMISSION_DENIED', 'not yours', { details: { owner: 'someone else' } });
  },
};

interface ErrorBody {
  error: { code: string; message: string; details?: unknown; remoteName?: string };
}

describe('gateway error body', () => {
  const nodes: Mesh[] = [];
  let gateway: Gateway;
  let base: string;
  beforeAll(async () => {
    const service = new Mesh({ name: 'faulty' }).publish(createHandler(faultySpec, faulty));
    await service.listen('127.0.0.1:0');
    const node = new Mesh({ name: 'gateway', nodes: [service.address!] });
    nodes.push(service, node);
    await node.listen();
    await node.waitFor('faulty', 5000);
    gateway = createGateway(node, { accessLog: false });
    base = `http://${await gateway.listen('127.0.0.1:0')}`;
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all(nodes.map((n) => n.close()));
  });

  const post = async (path: string) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return { status: res.status, body: (await res.json()) as ErrorBody };
  };

  it('names the class of a plain error the handler threw', async () => {
    expect(await post('/faulty/typeError')).toEqual({ status: 500, body: { error: { code: 'UNKNOWN', message: 'x is undefined', remoteName: 'TypeError' } } });
  });

  it('keeps code, message and details of a MeshError next to its name', async () => {
    expect(await post('/faulty/coded')).toEqual({
      status: 403,
      body: { error: { code: 'PERMISSION_DENIED', message: 'not yours', details: { owner: 'someone else' }, remoteName: 'MeshError' } },
    });
  });

  it('has no remoteName for an error the gateway raised itself', async () => {
    const { status, body } = await post('/nosuch/thing');
    expect(status).toBe(404);
    expect(body.error.code).toBe('NOT_FOUND');
    expect(body.error).not.toHaveProperty('remoteName');
  });
});
