/**
 * Interceptors and the shared pipeline: the order they run in on both sides (per client, then
 * per node, then the serving node's), what they may change, that an empty chain is the bare
 * dispatcher call, the expiry check before any handler, and drain without polling.
 */
import { describe, expect, it } from 'vitest';
import {
  CallContext,
  LocalCaller,
  Mesh,
  MeshError,
  createClient,
  createHandler,
  currentContext,
  defineService,
  intercept,
  type ClientInterceptor,
  type ServerInterceptor,
} from 'meshrpc';
import { Inbound } from '../../src/pipeline/inbound.js';
import { composeServer } from '../../src/pipeline/interceptor.js';

interface Echo {
  echo(text: string): Promise<{ text: string; metadata: Record<string, string>; inContext: boolean }>;
  slow(ms: number): Promise<number>;
}
const echoSpec = defineService<Echo>('echo', { echo: ['text'], slow: ['ms'] });
const echo = createHandler(echoSpec, {
  echo: async (text) => ({ text, metadata: { ...currentContext()!.metadata }, inContext: currentContext() !== undefined }),
  slow: (ms) => new Promise((r) => setTimeout(() => r(ms), ms)),
});

const order: string[] = [];
const serverStep = (name: string): ServerInterceptor => async (ctx, next) => {
  order.push(`${name}>`);
  ctx.metadata[`seen-${name}`] = String(currentContext() === ctx);
  const out = await next();
  order.push(`<${name}`);
  return out;
};
const clientStep = (name: string): ClientInterceptor => async (call, next) => {
  order.push(`${name}>`);
  call.metadata[`sent-${name}`] = '1';
  const out = await next();
  order.push(`<${name}`);
  return out;
};

describe('interceptors', () => {
  it('run per client, then per node, then on the serving node, each in the order added, as an onion', async () => {
    order.length = 0;
    const server = new Mesh({ name: 'echo', nodes: [] }).use({ server: [serverStep('s1'), serverStep('s2')] }).publish(echo);
    await server.listen('127.0.0.1:0');
    const caller = new Mesh({ name: 'caller', nodes: [server.address!] }).use({ client: [clientStep('n1'), clientStep('n2')] });
    await caller.listen();
    try {
      await caller.waitFor('echo', 5000);
      const client = createClient(echoSpec, intercept(caller, clientStep('c1')));
      const out = await client.echo('hi');
      expect(order).toEqual(['c1>', 'n1>', 'n2>', 's1>', 's2>', '<s2', '<s1', '<n2', '<n1', '<c1']);
      // Client interceptors' metadata travels; server interceptors run inside the call's context.
      expect(out.metadata).toMatchObject({ 'sent-c1': '1', 'sent-n1': '1', 'sent-n2': '1', 'seen-s1': 'true', 'seen-s2': 'true' });
    } finally {
      await caller.close();
      await server.close();
    }
  });

  it("change metadata on the call's own copy, never the options object the caller passed", async () => {
    const caller = new LocalCaller().use({ client: [clientStep('a')] });
    caller.dispatcher.register(echo.info, echo.endpoint);
    const metadata = { tenant: 'acme' };
    const out = await createClient(echoSpec, caller).with({ metadata }).echo('x');
    expect(out.metadata).toEqual({ tenant: 'acme', 'sent-a': '1' });
    expect(metadata).toEqual({ tenant: 'acme' });
  });

  it('may shorten the deadline, and a client interceptor that throws sends nothing', async () => {
    const seen: number[] = [];
    const inbound = new Inbound().use(async (ctx, next) => (seen.push(ctx.remaining), next()));
    inbound.dispatcher.register(echo.info, echo.endpoint);
    const shorten: ClientInterceptor = (call, next) => ((call.deadline = Date.now() + 100), next());
    const caller = new LocalCaller(inbound).use({ client: [shorten] });
    await expect(createClient(echoSpec, caller).slow(1000)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(seen[0]).toBeLessThanOrEqual(100);
    const refuse = new LocalCaller(inbound).use({ client: [async () => Promise.reject(new MeshError('UNAUTHENTICATED', 'no token'))] });
    const before = seen.length;
    await expect(createClient(echoSpec, refuse).echo('x')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(seen.length).toBe(before);
  });

  it('an empty chain is the terminal itself: nothing is added per call', () => {
    const terminal = async () => new Uint8Array();
    expect(composeServer([], terminal)).toBe(terminal);
    expect(composeServer([(c, n) => n()], terminal)).not.toBe(terminal);
  });
});

describe('the inbound path', () => {
  it('refuses a call whose deadline passed on the way, before any interceptor or handler', async () => {
    let ran = 0;
    const inbound = new Inbound().use(async (_ctx, next) => (ran++, next()));
    inbound.dispatcher.register(echo.info, echo.endpoint);
    const ctx = new CallContext({ service: 'echo', method: 'echo', deadline: Date.now() - 1 });
    await expect(inbound.call(ctx, Buffer.from('{"text":"x"}'))).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(ran).toBe(0);
    expect(inbound.inFlight).toBe(0);
  });

  it('answers a result that comes after the deadline with DEADLINE_EXCEEDED, whatever timer ran first', async () => {
    const inbound = new Inbound();
    inbound.dispatcher.register(echo.info, echo.endpoint);
    const late = new CallContext({ service: 'echo', method: 'slow', deadline: Date.now() + 50 });
    await expect(inbound.call(late, Buffer.from('{"ms":120}'))).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    const inTime = new CallContext({ service: 'echo', method: 'slow', deadline: Date.now() + 5000 });
    expect(JSON.parse(Buffer.from(await inbound.call(inTime, Buffer.from('{"ms":20}'))).toString())).toBe(20);
  });

  it('counts calls until their reply is sent, and drain resolves the moment the last one ends', async () => {
    const inbound = new Inbound();
    inbound.dispatcher.register(echo.info, echo.endpoint);
    const ctx = new CallContext({ service: 'echo', method: 'slow' });
    const call = inbound.call(ctx, Buffer.from('{"ms":150}'));
    expect(inbound.inFlight).toBe(1);
    const started = Date.now();
    expect(await inbound.drain(5000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(inbound.inFlight).toBe(0);
    await call;
    expect(await new Inbound().drain(10)).toBe(true);
  });

  it("maps anything thrown to a MeshError that does not claim 'not processed'", async () => {
    const inbound = new Inbound().use(async () => {
      throw new MeshError('UNAVAILABLE', 'nested call found no instance', { notProcessed: true });
    });
    const err = await inbound.call(new CallContext({ service: 'echo', method: 'echo' }), Buffer.from('{}')).catch((e: MeshError) => e);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', notProcessed: false });
  });
});
