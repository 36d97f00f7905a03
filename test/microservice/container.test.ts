/**
 * The container's lifecycle: start order, stop in reverse, a failed start stopping what started
 * and naming the culprit, registration rules, typed services published on every server.
 */
import { describe, expect, it } from 'vitest';
import { CallContext, MeshError, jsonCodec } from 'meshrpc';
import { DispatchServer, Microservice, type Server } from '../../src/microservice/index.js';
import { greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';

class FakeServer extends DispatchServer {
  constructor(readonly type: string, readonly log: string[], readonly failStart?: Error) {
    super();
  }
  async start() {
    this.log.push(`start ${this.type}`);
    if (this.failStart) throw this.failStart;
  }
  async stop() {
    this.log.push(`stop ${this.type}`);
  }
  call(service: string, method: string, payload: Uint8Array, namespace = 'default') {
    return this.inbound.call(new CallContext({ namespace, service, method }), payload);
  }
}

describe('Microservice container', () => {
  it('starts servers in registration order and stops them in reverse', async () => {
    const log: string[] = [];
    const ms = new Microservice();
    for (const t of ['mesh', 'grpc', 'nats']) ms.registerServer(t, new FakeServer(t, log));
    await ms.start();
    expect(ms.state).toBe('running');
    await ms.stop();
    expect(log).toEqual(['start mesh', 'start grpc', 'start nats', 'stop nats', 'stop grpc', 'stop mesh']);
    expect(ms.state).toBe('stopped');
  });

  it('a failed start stops those already started and says which failed and why', async () => {
    const log: string[] = [];
    const ms = new Microservice();
    ms.registerServer('a', new FakeServer('a', log));
    ms.registerServer('b', new FakeServer('b', log));
    ms.registerServer('c', new FakeServer('c', log, new Error('listen EADDRINUSE 127.0.0.1:50051')));
    ms.registerServer('d', new FakeServer('d', log));
    const err = await ms.start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(MeshError);
    expect((err as MeshError).message).toBe('server "c" failed to start: listen EADDRINUSE 127.0.0.1:50051');
    expect((err as MeshError).details).toEqual({ server: 'c', stopped: ['b', 'a'] });
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop b', 'stop a']);
  });

  it('stop keeps going past a failing server and reports it', async () => {
    const log: string[] = [];
    const bad: Server = { ...new FakeServer('x', log), start: async () => {}, stop: async () => { throw new Error('boom'); }, registerNamespace() {}, registerService() {} };
    const ms = new Microservice().registerServer('good', new FakeServer('good', log)).registerServer('bad', bad);
    await ms.start();
    await expect(ms.stop()).rejects.toThrow('stopping failed for "bad": boom');
    expect(log).toContain('stop good');
  });

  it('a service in an unknown namespace is a clear error, not a crash', () => {
    const ms = new Microservice().registerServer('a', new FakeServer('a', []));
    expect(() => ms.registerService('greeter', 'hello', () => new Uint8Array())).toThrow(
      'cannot register service "hello": namespace "greeter" is not registered (call registerNamespace("greeter") first)',
    );
    expect(() => ms.registerService('greeter', 'hello', () => new Uint8Array())).toThrow(MeshError);
  });

  it('rejects duplicate server types and registration after start', async () => {
    const ms = new Microservice().registerServer('a', new FakeServer('a', []));
    expect(() => ms.registerServer('a', new FakeServer('a', []))).toThrow('already registered');
    await ms.start();
    expect(() => ms.registerServer('b', new FakeServer('b', []))).toThrow('after start()');
    await ms.stop();
  });

  it('publishes a typed service and a byte endpoint onto every server in one call', async () => {
    const a = new FakeServer('a', []);
    const b = new FakeServer('b', []);
    const ms = new Microservice().registerServer('a', a).registerServer('b', b);
    ms.publish(greeterHandler(new Greeter()));
    ms.registerNamespace('greeter').registerService('greeter', 'hello', (_ctx, bytes) => Buffer.concat([Buffer.from('Hello '), bytes]));
    for (const s of [a, b]) {
      expect(jsonCodec.decode(await s.call('greeter', 'greet', jsonCodec.encode({ name: 'Max' })))).toBe('Hello, Max');
      expect(Buffer.from(await s.call('hello', '', Buffer.from('Max'), 'greeter')).toString()).toBe('Hello Max');
      expect(s.dispatcher.lookup('default', 'greeter')?.info.methods).toEqual(['greet', 'sendPostcard']);
    }
  });

  it('a second signal forces the exit while a graceful stop is running', async () => {
    const exits: Array<number | undefined> = [];
    const realExit = process.exit;
    process.exit = ((code?: number) => void exits.push(code)) as typeof process.exit;
    try {
      let release!: () => void;
      const slow: Server = { start: async () => {}, stop: () => new Promise<void>((r) => (release = r)), registerNamespace() {}, registerService() {} };
      const ms = new Microservice().registerServer('slow', slow);
      await ms.start();
      let stopped = false;
      const off = ms.handleSignals(() => (stopped = true));
      process.emit('SIGTERM', 'SIGTERM');
      await new Promise((r) => setTimeout(r, 10));
      expect(ms.state).toBe('stopping');
      process.emit('SIGINT', 'SIGINT');
      expect(exits).toEqual([1]);
      release();
      await ms.stop();
      await new Promise((r) => setTimeout(r, 0));
      expect(stopped).toBe(true);
      off();
    } finally {
      process.exit = realExit;
    }
  });
});
