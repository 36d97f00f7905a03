/**
 * Transport benchmark: the greet call over the mesh, NATS, gRPC (the greeter's own proto and the
 * generic MessageService contract) and RabbitMQ request/reply; beside, measured in the same run,
 * a bare @grpc/grpc-js server with a proto-loader handler and a bare NATS request/reply. Servers
 * and clients share this process (each with its own connection), the same for ours and the
 * baselines. Prints p50/p99 at concurrency 1, calls/s at 64 in flight, and our overhead.
 *
 *   npx tsx bench/transports.ts        (BENCH_SECONDS=2 per measurement; NATS_URL, AMQP_URL)
 *
 * Bounded: every measurement stops after BENCH_SECONDS; a transport whose broker is not
 * reachable is skipped with a line saying so.
 */
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials, credentials, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Mesh } from '../src/index.js';
import { greeterClient, greeterHandler } from '../examples/greeter/greeter.mesh.js';
import { Greeter } from '../examples/greeter/service.js';
import { MeshServer, Microservice } from '../src/microservice/index.js';
import { AmqpClient, AmqpServer, GrpcClient, GrpcProtoClient, GrpcServer, NatsClient, NatsServer } from '../src/transports/index.js';
import { fmt, measureLatency, measureThroughput, printTable } from './lib/stats.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const ms = seconds * 1000;
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const PROTO = fileURLToPath(new URL('../examples/greeter/greeter.proto', import.meta.url));

interface Row {
  name: string;
  p50: number;
  p99: number;
  tput: number;
}
const rows: Row[] = [];

async function measure(name: string, call: () => Promise<unknown>): Promise<Row> {
  if ((await call()) === undefined) throw new Error(`${name}: empty reply`);
  await measureThroughput(call, 16, Math.min(500, ms / 4)); // warm up
  const lat = await measureLatency(call, ms);
  const tput = await measureThroughput(call, 64, ms);
  const row = { name, p50: lat.p50, p99: lat.p99, tput };
  rows.push(row);
  console.log(`${name.padEnd(28)} p50 ${fmt(lat.p50)} µs  p99 ${fmt(lat.p99)} µs  ${fmt(tput)} calls/s at 64`);
  return row;
}

async function reachable<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    console.log(`[skipped] ${what}: ${(err as Error).message}`);
    return undefined;
  }
}

// ---- built-in mesh ----
{
  const server = new Mesh({ name: 'greeter', nodes: [] });
  const ms1 = new Microservice().registerServer('mesh', new MeshServer(server, '127.0.0.1:0'));
  ms1.publish(greeterHandler(new Greeter()));
  await ms1.start();
  const caller = new Mesh({ name: 'caller', nodes: [server.address!] });
  await caller.listen();
  await caller.waitFor('greeter', 5000);
  const g = greeterClient(caller);
  await measure('mesh (ours)', () => g.greet('Max'));
  await caller.close();
  await ms1.stop();
}

// ---- NATS: bare request/reply, then ours ----
const nats = await reachable('NATS', async () => {
  // Bare and ours share these connections; no eager async stack traces, as meshrpc's own
  // connections are configured, so the comparison isolates meshrpc's per-call work.
  const a = await natsConnect({ servers: NATS_URL, noAsyncTraces: true });
  const b = await natsConnect({ servers: NATS_URL, noAsyncTraces: true });
  return { a, b };
});
let natsBare: Row | undefined;
let natsOurs: Row | undefined;
if (nats) {
  const subject = `bench.bare.${process.pid}.greet`;
  nats.a.subscribe(subject, {
    queue: 'bench',
    callback: (_e, msg) => {
      msg.respond(JSON.stringify(`Hello, ${(JSON.parse(Buffer.from(msg.data).toString()) as { name: string }).name}`));
    },
  });
  await nats.a.flush();
  natsBare = await measure('NATS bare request/reply', async () =>
    JSON.parse(Buffer.from((await nats.b.request(subject, JSON.stringify({ name: 'Max' }), { timeout: 5000 })).data).toString()),
  );
  const prefix = `bench${process.pid}`;
  const server = new NatsServer({ connection: nats.a, prefix });
  server.registerNamespace('default');
  const h = greeterHandler(new Greeter());
  server.registerService('default', h.info.name, h.endpoint, h.info);
  await server.start();
  const g = greeterClient(new NatsClient(nats.b, { prefix }));
  natsOurs = await measure('NATS (ours)', () => g.greet('Max'));
  await server.stop();
  await nats.a.drain();
  await nats.b.drain();
}

// ---- gRPC: bare grpc-js + proto-loader, then ours ----
let grpcBare: Row | undefined;
let grpcOurs: Row | undefined;
{
  const pkg = loadPackageDefinition(loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true })) as any;
  const bare = new Server();
  bare.addService(pkg.greeter.Greeter.service, {
    greet: (call: { request: { name: string } }, cb: (e: null, r: { result: string }) => void) => cb(null, { result: `Hello, ${call.request.name}` }),
    sendPostcard: (call: { request: { card: unknown } }, cb: (e: null, r: unknown) => void) => cb(null, { result: call.request.card }),
  });
  const port = await new Promise<number>((res, rej) => bare.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  const client = new pkg.greeter.Greeter(`127.0.0.1:${port}`, credentials.createInsecure());
  grpcBare = await measure('gRPC bare grpc-js', () =>
    new Promise((res, rej) => client.greet({ name: 'Max' }, (e: ServiceError | null, r: { result: string }) => (e ? rej(e) : res(r.result)))),
  );
  client.close();
  bare.forceShutdown();

  const server = new GrpcServer({ address: '127.0.0.1:0', protos: [PROTO] });
  const ms2 = new Microservice().registerServer('grpc', server);
  ms2.publish(greeterHandler(new Greeter()));
  await ms2.start();
  const protoClient = new GrpcProtoClient(`127.0.0.1:${server.port}`, PROTO);
  const g = greeterClient(protoClient);
  grpcOurs = await measure('gRPC (ours, greeter.proto)', () => g.greet('Max'));
  const generic = new GrpcClient(`127.0.0.1:${server.port}`);
  const gg = greeterClient(generic);
  await measure('gRPC (ours, MessageService)', () => gg.greet('Max'));
  protoClient.close();
  generic.close();
  await ms2.stop();
}

// ---- RabbitMQ request/reply ----
{
  const prefix = `bench${process.pid}`;
  const server = new AmqpServer({ url: AMQP_URL, prefix, prefetch: 64 });
  server.registerNamespace('default');
  const h = greeterHandler(new Greeter());
  server.registerService('default', h.info.name, h.endpoint, h.info);
  const ok = await reachable('RabbitMQ', () => server.start());
  if (ok !== undefined || server.link) {
    const client = await AmqpClient.connect({ url: AMQP_URL, prefix });
    const g = greeterClient(client);
    await measure('RabbitMQ request/reply (ours)', () => g.greet('Max'));
    await client.close();
    await server.stop();
    const { connect } = await import('amqplib');
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    await ch.deleteQueue(`${prefix}.default`);
    await ch.deleteQueue(`${prefix}.default.dlq`);
    await ch.deleteExchange(`${prefix}.dlx`);
    await conn.close();
  }
}

printTable(
  `greet, client and server in one process, ${seconds} s per measurement`,
  rows.map((r) => ({ transport: r.name, 'p50 µs (c=1)': fmt(r.p50), 'p99 µs (c=1)': fmt(r.p99), 'calls/s (64 in flight)': fmt(r.tput) })),
);
const overhead = (ours: Row | undefined, bare: Row | undefined, name: string) => {
  if (!ours || !bare) return;
  const lat = (ours.p50 / bare.p50 - 1) * 100;
  const tput = (bare.tput / ours.tput - 1) * 100;
  console.log(`${name}: p50 ${lat >= 0 ? '+' : ''}${fmt(lat, 1)}% vs bare, throughput cost ${tput >= 0 ? '+' : ''}${fmt(tput, 1)}% (target: under 10%)`);
};
overhead(grpcOurs, grpcBare, 'gRPC (greeter.proto)');
overhead(natsOurs, natsBare, 'NATS');
