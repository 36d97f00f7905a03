/**
 * One trace across every hop, checked from the spans a real OpenTelemetry SDK (NodeSDK with an
 * in-memory exporter, registered before any node is made, as an application would) collects:
 * an HTTP request with a `traceparent` → gateway → orders (built-in mesh) → inventory (built-in
 * mesh), and orders → billing over NATS as the mesh and orders → ledger over RabbitMQ. Real
 * sockets and brokers; the broker hops skip (or fail under MESHRPC_REQUIRE_BROKERS=1) without them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createHandler, defineService, Mesh, MeshError } from '../../src/index.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { Microservice } from '../../src/microservice/index.js';
import { traceMixin } from '../../src/observability/log.js';
import { AmqpClient, AmqpServer, NatsMesh } from '../../src/transports/index.js';
import { AMQP_URL, NATS_URL, broker } from '../helpers/brokers.js';
import { instancesOf } from '../helpers/cluster.js';

const exporter = new InMemorySpanExporter();
const sdk = new NodeSDK({ serviceName: 'tracing-test', spanProcessors: [new SimpleSpanProcessor({ exporter })], instrumentations: [] });
sdk.start();

const natsUp = await broker('NATS', NATS_URL);
const amqpUp = await broker('RabbitMQ', AMQP_URL);

interface Orders {
  place(item: string): Promise<string>;
}
interface Inventory {
  count(item: string): Promise<number>;
}
interface Billing {
  charge(item: string): Promise<string>;
}
interface Ledger {
  record(item: string): Promise<string>;
}
const ordersSpec = defineService<Orders>('orders', { place: ['item'] });
const inventorySpec = defineService<Inventory>('inventory', { count: ['item'] });
const billingSpec = defineService<Billing>('billing', { charge: ['item'] });
const ledgerSpec = defineService<Ledger>('ledger', { record: ['item'] });

const logged: Record<string, string>[] = [];
const closers: (() => Promise<unknown>)[] = [];
let gateway: Gateway;
let url: string;
let natsCaller: NatsMesh | undefined;

async function until(ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  if (!ok()) throw new Error(`timed out waiting until ${what}`);
}

beforeAll(async () => {
  const inventory = new Mesh({ name: 'inventory' });
  inventory.publish(
    createHandler(inventorySpec, {
      async count() {
        logged.push(traceMixin()); // what a log line written here carries
        return 7;
      },
    }),
  );
  await inventory.listen('127.0.0.1:0');
  closers.push(() => inventory.close());

  const prefix = `t${randomUUID().slice(0, 8)}`;
  let billing: ReturnType<typeof createClient<Billing>> | undefined;
  if (natsUp) {
    const billingNode = new NatsMesh({ name: 'billing', servers: NATS_URL, prefix });
    billingNode.publish(createHandler(billingSpec, { charge: async (item: string) => `charged ${item}` }));
    await billingNode.listen();
    natsCaller = new NatsMesh({ name: 'orders-nats', servers: NATS_URL, prefix });
    await natsCaller.listen();
    await natsCaller.waitFor('billing', 10_000);
    billing = createClient(billingSpec, natsCaller);
    closers.push(() => natsCaller!.close(), () => billingNode.close());
  }
  let ledger: ReturnType<typeof createClient<Ledger>> | undefined;
  if (amqpUp) {
    const ms = new Microservice({ stopTimeoutMs: 5000 }).registerServer('amqp', new AmqpServer({ url: AMQP_URL, prefix }));
    ms.publish(createHandler(ledgerSpec, { record: async (item: string) => `recorded ${item}` }));
    await ms.start();
    const client = await AmqpClient.connect({ url: AMQP_URL, prefix });
    ledger = createClient(ledgerSpec, client);
    closers.push(async () => void (await client.close(), await ms.stop()));
  }

  const orders = new Mesh({ name: 'orders', nodes: [inventory.address!] });
  const stock = createClient(inventorySpec, orders);
  orders.publish(
    createHandler(ordersSpec, {
      async place(item: string) {
        if (item === 'forbidden') throw new MeshError('FAILED_PRECONDITION', 'not for sale');
        const n = await stock.count(item);
        const charged = billing ? await billing.charge(item) : 'no billing';
        const recorded = ledger ? await ledger.record(item) : 'no ledger';
        return `${n} left; ${charged}; ${recorded}`;
      },
    }),
  );
  await orders.listen('127.0.0.1:0');
  closers.push(() => orders.close());

  const gwNode = new Mesh({ name: 'gateway', nodes: [orders.address!] });
  await gwNode.listen('127.0.0.1:0');
  gateway = createGateway(gwNode, { logger: false });
  url = `http://${await gateway.listen('127.0.0.1:0')}`;
  closers.push(() => gwNode.close(), () => gateway.close());
  await until(() => instancesOf(gwNode, 'orders').length === 1 && instancesOf(orders, 'inventory').length === 1, 'the mesh links');
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  await sdk.shutdown();
});

const hex = (n: number) => randomBytes(n).toString('hex');
const idOf = (s: ReadableSpan) => s.spanContext().spanId;
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

function spansOf(traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
}

function one(spans: ReadableSpan[], name: string, kind: SpanKind): ReadableSpan {
  const found = spans.filter((s) => s.name === name && s.kind === kind);
  expect(found, `${SpanKind[kind]} span ${name} among ${spans.map((s) => `${SpanKind[s.kind]} ${s.name}`).join(', ')}`).toHaveLength(1);
  return found[0];
}

describe('one trace across the gateway, the mesh and the brokers', () => {
  it('links each hop to the one before it, starting at the incoming traceparent', async () => {
    const traceId = hex(16);
    const incoming = hex(8);
    const res = await fetch(`${url}/orders/place`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${incoming}-01` },
      body: JSON.stringify({ item: 'apple' }),
    });
    expect(res.status).toBe(200);
    const expected = 4 + (natsUp ? 2 : 0) + (amqpUp ? 2 : 0);
    await until(() => spansOf(traceId).length >= expected, `${expected} spans`);
    const spans = spansOf(traceId);
    expect(spans).toHaveLength(expected);

    const gwClient = one(spans, 'orders/place', SpanKind.CLIENT);
    const ordersServer = one(spans, 'orders/place', SpanKind.SERVER);
    const stockClient = one(spans, 'inventory/count', SpanKind.CLIENT);
    const stockServer = one(spans, 'inventory/count', SpanKind.SERVER);
    expect(parentOf(gwClient)).toBe(incoming);
    expect(parentOf(ordersServer)).toBe(idOf(gwClient));
    expect(parentOf(stockClient)).toBe(idOf(ordersServer));
    expect(parentOf(stockServer)).toBe(idOf(stockClient));
    expect(ordersServer.parentSpanContext?.isRemote).toBe(true);

    expect(gwClient.attributes).toMatchObject({ 'rpc.system': 'meshrpc', 'rpc.service': 'orders', 'rpc.method': 'place', 'meshrpc.transport': 'mesh', 'meshrpc.code': 'OK', 'rpc.grpc.status_code': 0 });
    expect(stockServer.attributes).toMatchObject({ 'rpc.service': 'inventory', 'rpc.method': 'count', 'meshrpc.caller.name': 'orders' });
    for (const s of spans) expect(s.status.code).toBe(SpanStatusCode.UNSET);

    // A log line written in the handler names the handler's span.
    expect(logged.at(-1)).toEqual({ trace_id: traceId, span_id: idOf(stockServer), trace_flags: '01' });

    if (natsUp) {
      const billClient = one(spans, 'billing/charge', SpanKind.CLIENT);
      const billServer = one(spans, 'billing/charge', SpanKind.SERVER);
      expect(parentOf(billClient)).toBe(idOf(ordersServer));
      expect(parentOf(billServer)).toBe(idOf(billClient));
      expect(billServer.attributes['meshrpc.transport']).toBe('nats');
    }
    if (amqpUp) {
      const ledgerClient = one(spans, 'ledger/record', SpanKind.CLIENT);
      const ledgerServer = one(spans, 'ledger/record', SpanKind.SERVER);
      expect(parentOf(ledgerClient)).toBe(idOf(ordersServer));
      expect(parentOf(ledgerServer)).toBe(idOf(ledgerClient));
    }
  });

  it('a request without a traceparent starts a trace at the gateway', async () => {
    const before = new Set(exporter.getFinishedSpans().map(idOf));
    const res = await fetch(`${url}/orders/place`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"item":"pear"}' });
    expect(res.status).toBe(200);
    await until(() => exporter.getFinishedSpans().some((s) => !before.has(idOf(s)) && s.name === 'orders/place' && s.kind === SpanKind.CLIENT), 'the gateway span');
    const gwClient = exporter.getFinishedSpans().find((s) => !before.has(idOf(s)) && s.name === 'orders/place' && s.kind === SpanKind.CLIENT)!;
    expect(gwClient.parentSpanContext).toBeUndefined();
    await until(() => spansOf(gwClient.spanContext().traceId).length >= 4, 'the rest of the trace');
  });

  it("marks a failed call with its code: an error on the caller's span, the server's own only for server faults", async () => {
    const traceId = hex(16);
    const res = await fetch(`${url}/orders/place`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${hex(8)}-01` },
      body: '{"item":"forbidden"}',
    });
    expect(res.status).toBe(412);
    await until(() => spansOf(traceId).length >= 2, 'two spans');
    const spans = spansOf(traceId);
    const client = one(spans, 'orders/place', SpanKind.CLIENT);
    const server = one(spans, 'orders/place', SpanKind.SERVER);
    expect(client.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'not for sale' });
    expect(client.attributes).toMatchObject({ 'meshrpc.code': 'FAILED_PRECONDITION', 'rpc.grpc.status_code': 9, 'error.type': 'FAILED_PRECONDITION' });
    expect(server.attributes['meshrpc.code']).toBe('FAILED_PRECONDITION');
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
  });

  it.skipIf(!natsUp)('shows the retries of a call no instance took as events on its span', async () => {
    const err = await natsCaller!.call({ service: 'nobody', method: 'here' }, Buffer.from('{}'), { timeout: 3000, codec: 'json' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshError);
    await until(() => exporter.getFinishedSpans().some((s) => s.name === 'nobody/here'), 'the span');
    const span = exporter.getFinishedSpans().find((s) => s.name === 'nobody/here')!;
    const retries = span.events.filter((e) => e.name === 'meshrpc.retry');
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0].attributes).toMatchObject({ 'meshrpc.attempt': 1, 'meshrpc.code': 'UNAVAILABLE' });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });
});
