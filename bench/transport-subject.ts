/**
 * One subject of the transport benchmark, run in a process of its own (bench/transports.ts
 * starts it, bundled, on plain node): set up a greeter server and a client of one transport in
 * this process, warm up, then print one `RESULT {json}` line with p50/p99 at concurrency 1 and
 * calls/s at 64 in flight, or `SKIP <why>` when its broker is not reachable. `pair <bare>,<ours>`
 * sets up two subjects and prints their p50s measured with calls interleaved one by one. Every
 * measurement stops after BENCH_SECONDS.
 *
 *   node bench/.build/transport-subject.mjs <subject> | pair <bare>,<ours> | count <subject> <n> [concurrency]
 */
import { resolve } from 'node:path';
import { Server, ServerCredentials, credentials, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Mesh, type ClientInterceptor, type ServerInterceptor } from '../src/index.js';
import { greeterClient, greeterHandler } from '../examples/greeter/greeter.mesh.js';
import { Greeter } from '../examples/greeter/service.js';
import { MeshServer, Microservice } from '../src/microservice/index.js';
import { AmqpClient, AmqpServer, GrpcClient, GrpcProtoClient, GrpcServer, NatsClient, NatsServer } from '../src/transports/index.js';
import { measureLatency, measureThroughput, percentile } from './lib/stats.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
// Relative to the working directory (the repository root): this file runs bundled from bench/.build/.
const PROTO = resolve('examples/greeter/greeter.proto');
/** The deadline our clients put on every call that names none; the bare gRPC client can too. */
const DEFAULT_DEADLINE_MS = 30_000;

interface Subject {
  call: () => Promise<unknown>;
  close: () => Promise<void>;
}

type Setup = () => Promise<Subject>;

class Skip extends Error {}

async function reach<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Skip(`${what}: ${(err as Error).message}`);
  }
}

// Counting under callgrind runs ~50x slower: a 3 s heartbeat would declare the peer dead.
const meshLinks = process.argv[2] === 'count' ? { heartbeatInterval: 60_000, heartbeatTimeout: 600_000 } : {};
const meshWait = process.argv[2] === 'count' ? 120_000 : 5000;

/** A server interceptor that does nothing but pass the call on (the cost of the chain itself). */
const passOn: ServerInterceptor = (_ctx, next) => next();
const passOnClient: ClientInterceptor = (_call, next) => next();

/** The mesh pair; `interceptors` puts no-op interceptors on the serving node, the calling node, or both. */
const meshWith = (interceptors: 'none' | 'server' | 'client' | 'both'): Setup => async () => {
  const server = new Mesh({ name: 'greeter', nodes: [], ...meshLinks });
  if (interceptors === 'server' || interceptors === 'both') server.use({ server: [passOn] });
  const ms = new Microservice().registerServer('mesh', new MeshServer(server, '127.0.0.1:0'));
  ms.publish(greeterHandler(new Greeter()));
  await ms.start();
  const caller = new Mesh({ name: 'caller', nodes: [server.address!], ...meshLinks });
  if (interceptors === 'client' || interceptors === 'both') caller.use({ client: [passOnClient] });
  await caller.listen();
  await caller.waitFor('greeter', meshWait);
  const g = greeterClient(caller);
  return { call: () => g.greet('Max'), close: async () => void (await caller.close(), await ms.stop()) };
};
const mesh = meshWith('none');

/** Two connections, as meshrpc's own are configured (no eager async stack traces). */
async function natsPair() {
  return reach('NATS', async () => ({
    a: await natsConnect({ servers: NATS_URL, noAsyncTraces: true }),
    b: await natsConnect({ servers: NATS_URL, noAsyncTraces: true }),
  }));
}

const natsBare: Setup = async () => {
  const { a, b } = await natsPair();
  const subject = `bench.bare.${process.pid}.greet`;
  a.subscribe(subject, {
    queue: 'bench',
    callback: (_e, msg) => {
      msg.respond(JSON.stringify(`Hello, ${(JSON.parse(Buffer.from(msg.data).toString()) as { name: string }).name}`));
    },
  });
  await a.flush();
  return {
    call: async () => JSON.parse(Buffer.from((await b.request(subject, JSON.stringify({ name: 'Max' }), { timeout: DEFAULT_DEADLINE_MS })).data).toString()),
    close: async () => void (await a.drain(), await b.drain()),
  };
};

const nats: Setup = async () => {
  const { a, b } = await natsPair();
  const prefix = `bench${process.pid}`;
  const server = new NatsServer({ connection: a, prefix });
  server.registerNamespace('default');
  const h = greeterHandler(new Greeter());
  server.registerService('default', h.info.name, h.endpoint, h.info);
  await server.start();
  const g = greeterClient(new NatsClient(b, { prefix }));
  return { call: () => g.greet('Max'), close: async () => void (await server.stop(), await a.drain(), await b.drain()) };
};

function grpcBare(withDeadline: boolean): Setup {
  return async () => {
    const pkg = loadPackageDefinition(loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true })) as any;
    const server = new Server();
    server.addService(pkg.greeter.Greeter.service, {
      greet: (call: { request: { name: string } }, cb: (e: null, r: { result: string }) => void) => cb(null, { result: `Hello, ${call.request.name}` }),
      sendPostcard: (call: { request: { card: unknown } }, cb: (e: null, r: unknown) => void) => cb(null, { result: call.request.card }),
    });
    const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    const client = new pkg.greeter.Greeter(`127.0.0.1:${port}`, credentials.createInsecure());
    const done = (res: (v: unknown) => void, rej: (e: unknown) => void) => (e: ServiceError | null, r: { result: string }) => (e ? rej(e) : res(r.result));
    const call = withDeadline
      ? () => new Promise((res, rej) => client.greet({ name: 'Max' }, { deadline: Date.now() + DEFAULT_DEADLINE_MS }, done(res, rej)))
      : () => new Promise((res, rej) => client.greet({ name: 'Max' }, done(res, rej)));
    return { call, close: async () => void (client.close(), server.forceShutdown()) };
  };
}

function grpc(contract: 'proto' | 'generic'): Setup {
  return async () => {
    const server = new GrpcServer({ address: '127.0.0.1:0', protos: [PROTO] });
    const ms = new Microservice().registerServer('grpc', server);
    ms.publish(greeterHandler(new Greeter()));
    await ms.start();
    const client = contract === 'proto' ? new GrpcProtoClient(`127.0.0.1:${server.port}`, PROTO) : new GrpcClient(`127.0.0.1:${server.port}`);
    const g = greeterClient(client);
    return { call: () => g.greet('Max'), close: async () => void (client.close(), await ms.stop()) };
  };
}

const amqp: Setup = async () => {
  const prefix = `bench${process.pid}`;
  const server = new AmqpServer({ url: AMQP_URL, prefix, prefetch: 64 });
  server.registerNamespace('default');
  const h = greeterHandler(new Greeter());
  server.registerService('default', h.info.name, h.endpoint, h.info);
  await reach('RabbitMQ', () => server.start());
  const client = await AmqpClient.connect({ url: AMQP_URL, prefix });
  const g = greeterClient(client);
  return {
    call: () => g.greet('Max'),
    close: async () => {
      await client.close();
      await server.stop();
      const { connect } = await import('amqplib');
      const conn = await connect(AMQP_URL);
      const ch = await conn.createChannel();
      await ch.deleteQueue(`${prefix}.default`);
      await ch.deleteQueue(`${prefix}.default.dlq`);
      await ch.deleteExchange(`${prefix}.dlx`);
      await conn.close();
    },
  };
};

export const SUBJECTS: Record<string, Setup> = {
  mesh,
  'mesh-noop-server': meshWith('server'),
  'mesh-noop-client': meshWith('client'),
  'mesh-noop-both': meshWith('both'),
  'nats-bare': natsBare,
  nats,
  'grpc-bare': grpcBare(false),
  'grpc-bare-deadline': grpcBare(true),
  grpc: grpc('proto'),
  'grpc-generic': grpc('generic'),
  amqp,
};

/** Latencies of two subjects in one process, one call of each in turn: drift hits both alike. */
async function pairedLatency(a: Subject, b: Subject, ms: number): Promise<[number, number]> {
  const samples: [number[], number[]] = [[], []];
  const until = performance.now() + ms;
  while (performance.now() < until && samples[0].length < 200_000) {
    for (const [i, s] of [a, b].entries()) {
      const t = performance.now();
      await s.call();
      samples[i].push((performance.now() - t) * 1000);
    }
  }
  return samples.map((xs) => percentile(xs.sort((x, y) => x - y), 50)) as [number, number];
}

/** Calls/s of two subjects at 64 in flight, in alternating bursts of 250 ms for `ms` each. */
async function pairedThroughput(a: Subject, b: Subject, ms: number): Promise<[number, number]> {
  const totals: [number, number] = [0, 0];
  for (let spent = 0; spent < ms; spent += 250) {
    for (const [i, s] of [a, b].entries()) totals[i] += (await measureThroughput(s.call, 64, 250)) * 0.25;
  }
  return [totals[0] / (ms / 1000), totals[1] / (ms / 1000)];
}

const [name, second] = process.argv.slice(2);
const ms = seconds * 1000;
try {
  if (name === 'pair') {
    // `pair <bare>,<ours>`: p50 at concurrency 1 with calls interleaved one by one, and calls/s
    // at 64 in flight in alternating bursts, so whatever the machine does hits both alike.
    const [bareKey, oursKey] = second.split(',');
    const subjects = [await SUBJECTS[bareKey](), await SUBJECTS[oursKey]()];
    for (const s of subjects) await measureThroughput(s.call, 16, Math.min(500, ms / 4)); // warm up
    const [bare, ours] = await pairedLatency(subjects[0], subjects[1], ms);
    const [bareTput, oursTput] = await pairedThroughput(subjects[0], subjects[1], ms);
    console.log(`PAIR ${JSON.stringify({ bare, ours, bareTput, oursTput })}`);
    for (const s of subjects) await s.close();
    process.exit(0);
  }
  if (name === 'count') {
    // `count <subject> <n>`: 1,000 calls to warm up, then n calls at 16 in flight, and exit. Run
    // it under `valgrind --tool=callgrind` for two values of n: the difference of the totals over
    // the difference of n is what one call costs in instructions, the same on a busy machine.
    // An optional concurrency (default 16); at 1 no write or read batching depends on timing, so
    // the count is the same run to run (at 16 it moves with how calls happen to batch).
    const [key, n, concurrency] = [second, Number(process.argv[4]), Number(process.argv[5] ?? 16)];
    const subject = await SUBJECTS[key]();
    await measureThroughput(subject.call, concurrency, 600_000, 1000);
    await measureThroughput(subject.call, concurrency, 600_000, n);
    console.log(`COUNTED ${n}`);
    await subject.close();
    process.exit(0);
  }
  const setup = SUBJECTS[name];
  if (!setup) {
    console.error(`unknown subject "${name}"; one of ${Object.keys(SUBJECTS).join(', ')}, or pair <bare>,<ours>`);
    process.exit(2);
  }
  const subject = await setup();
  if ((await subject.call()) === undefined) throw new Error(`${name}: empty reply`);
  await measureThroughput(subject.call, 16, Math.min(500, ms / 4)); // warm up
  const lat = await measureLatency(subject.call, ms);
  const tput = await measureThroughput(subject.call, 64, ms);
  console.log(`RESULT ${JSON.stringify({ p50: lat.p50, p99: lat.p99, tput })}`);
  await subject.close();
  process.exit(0);
} catch (err) {
  if (err instanceof Skip) {
    console.log(`SKIP ${err.message}`);
    process.exit(0);
  }
  throw err;
}
