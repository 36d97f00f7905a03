/**
 * Gateway benchmark: HTTP -> gateway -> mesh -> greeter (POST /greeter/greet), beside a plain
 * Fastify route returning the same JSON, all measured in the same run with autocannon:
 * p50/p99 at concurrency 1 and requests/s at 64 connections. Every server is its own process
 * on 127.0.0.1, bundled and on plain node; this process only drives load. Bounded:
 * BENCH_SECONDS (default 5) per measurement, BENCH_ROUNDS (default 3) interleaved rounds.
 *
 *   npx tsx bench/gateway.ts
 *
 * Rows: the plain route (Fastify's default: no logging); the gateway with its access log off,
 * like for like with the plain route, and on, as shipped (pino, asynchronous, to /dev/null); and
 * a constant route on the gateway's own Fastify app, which is the gateway's HTTP handling alone.
 * Target: gateway requests/s >= 0.6x the plain route's, and p50 < 2x the plain route's p50.
 *
 * Beside them, the same greet as a bare mesh call (no HTTP) from a process of its own, with the
 * options the gateway passes: a proxied request can be no faster than the plain route plus that
 * call, so (plain p50 + mesh call p50) / plain p50 is the floor of the p50 ratio on this machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundle } from './lib/server.js';
import { measureLatency, median, rounds } from './lib/stats.js';
import autocannon from 'autocannon';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const root = fileURLToPath(new URL('../', import.meta.url));
const BODY = '{"name":"Max"}';
const EXPECTED = '"Hello, Max"';

// ---- server modes (this file runs itself as each server) ----

async function serveGateway(): Promise<void> {
  const { Mesh } = await import('../src/mesh/mesh.js');
  const { createGateway } = await import('../src/gateway/index.js');
  const { pino } = await import('pino');
  const seed = process.env.BENCH_SEED;
  const mesh = new Mesh({ name: 'gateway', nodes: seed ? [seed] : [] });
  // The shipped logger (pino at info, asynchronous writes), writing to /dev/null instead of stdout.
  const logger = pino({ name: 'meshrpc-gateway', level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const gateway = createGateway(mesh, { require: ['greeter'], logger, accessLog: process.env.BENCH_ACCESS_LOG === '1' });
  gateway.app.post('/bench/constant', async (_request, reply) => reply.type('application/json; charset=utf-8').send(EXPECTED));
  await mesh.listen('127.0.0.1:0');
  const http = await gateway.listen('127.0.0.1:0');
  console.log(`READY ${http} ${mesh.address}`);
  process.on('SIGTERM', () => void gateway.close().then(() => mesh.close()).then(() => process.exit(0)));
}

async function servePlain(): Promise<void> {
  const { fastify } = await import('fastify');
  const app = fastify();
  app.post<{ Body: { name: string } }>('/greeter/greet', async (request, reply) =>
    reply.type('application/json; charset=utf-8').send(JSON.stringify(`Hello, ${request.body.name}`)),
  );
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(`READY ${address.replace('http://', '')}`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

/** One mesh call after another, as the gateway makes them; prints RESULT {p50, p99} in ms. */
async function measureMeshCall(): Promise<void> {
  const { Mesh } = await import('../src/mesh/mesh.js');
  const mesh = new Mesh({ name: 'bench-caller', nodes: [process.env.BENCH_SEED!] });
  await mesh.listen('127.0.0.1:0');
  await mesh.waitFor('greeter', 10_000);
  const target = { service: 'greeter', method: 'greet' };
  const body = Buffer.from(BODY);
  let n = 0;
  const call = () => mesh.call(target, body, { codec: 'json', deadline: Date.now() + 30_000, metadata: { 'request-id': `bench-${n++}` } });
  await measureLatency(call, 1000); // warm up
  const lat = await measureLatency(call, seconds * 1000);
  console.log(`RESULT ${JSON.stringify({ p50: lat.p50 / 1000, p99: lat.p99 / 1000 })}`);
  await mesh.close();
  process.exit(0);
}

// ---- the driver ----

interface Proc {
  proc: ChildProcess;
  ready: string[];
}

const procs: ChildProcess[] = [];

/**
 * Run a server bundled on plain node, as deployed: under tsx every closure a request creates
 * also pays for a name-keeping helper call, which would distort the comparison.
 */
async function start(entry: string, args: string[], env: Record<string, string> = {}, readyPrefix = 'READY '): Promise<Proc> {
  const file = await bundle(entry);
  const proc = spawn(process.execPath, [file, ...args], {
    cwd: root,
    env: { ...process.env, MESHRPC_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  procs.push(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${entry} ${args.join(' ')} not ready:\n${out}`)), 20_000);
    proc.stdout!.on('data', (d) => {
      if (out.length < 65_536) out += d;
      const line = out.split('\n').find((l) => l.startsWith(readyPrefix));
      if (line && timer) {
        clearTimeout(timer);
        resolve({ proc, ready: line.slice(readyPrefix.length).trim().split(' ') });
      }
    });
    proc.once('exit', (code) => reject(new Error(`${entry} ${args.join(' ')} exited with ${code}:\n${out}`)));
  });
}

async function stopAll(): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          const t = setTimeout(() => p.kill('SIGKILL'), 5000);
          p.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          p.kill('SIGTERM');
        }),
    ),
  );
}

function run(url: string, connections: number, duration: number, onLatency?: (ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, connections, duration, pipelining: 1 },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    // autocannon's own percentiles are whole milliseconds; keep its exact per-response times.
    if (onLatency) instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => onLatency(ms));
  });
}

interface Row {
  route: string;
  p50: number;
  p99: number;
  rps: number;
  errors: number;
}

async function measure(route: string, url: string): Promise<Row> {
  await run(url, 8, 1); // warm up
  const samples: number[] = [];
  const lat = await run(url, 1, seconds, (ms) => samples.length < 2_000_000 && samples.push(ms));
  samples.sort((a, b) => a - b);
  const pct = (p: number) => samples[Math.min(samples.length - 1, Math.max(0, Math.ceil((p / 100) * samples.length) - 1))];
  const tput = await run(url, 64, seconds);
  return {
    route,
    p50: pct(50),
    p99: pct(99),
    rps: tput.requests.average,
    errors: lat.errors + lat.non2xx + tput.errors + tput.non2xx + tput.timeouts,
  };
}

async function drive(): Promise<void> {
  const self = 'bench/gateway.ts';
  try {
    const plain = await start(self, ['serve-plain']);
    const gw = await start(self, ['serve-gateway']);
    const gwLog = await start(self, ['serve-gateway'], { BENCH_ACCESS_LOG: '1', BENCH_SEED: gw.ready[1] });
    await start('examples/greeter/main.ts', [], { MESHRPC_LISTEN_ADDR: '127.0.0.1:0', MESHRPC_CLUSTER_NODES: gw.ready[1] }, 'greeter listening on');
    const routes: Array<[name: string, url: string]> = [
      ['plain Fastify route', `http://${plain.ready[0]}/greeter/greet`],
      ['gateway -> mesh -> greeter', `http://${gw.ready[0]}/greeter/greet`],
      ['  same, access log on', `http://${gwLog.ready[0]}/greeter/greet`],
      ['gateway constant route', `http://${gw.ready[0]}/bench/constant`],
    ];
    for (const [name, url] of routes) {
      for (let i = 0; i < 200; i++) {
        const r = await fetch(url, { method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } }).catch(() => undefined);
        if (r && r.status === 200 && (await r.text()) === EXPECTED) break;
        if (i === 199) throw new Error(`${name} never answered ${EXPECTED}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    }

    console.log(`gateway benchmark: POST /greeter/greet ${BODY}, ${seconds} s per measurement, autocannon; medians of ${rounds} interleaved rounds`);
    // Interleaved rounds, medians: one run on this shared machine can be 30% off either way.
    const runs: Row[][] = routes.map(() => []);
    const meshCalls: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const [i, [name, url]] of routes.entries()) runs[i].push(await measure(name, url));
      const caller = await start(self, ['mesh-call'], { BENCH_SEED: gw.ready[1] }, 'RESULT ');
      meshCalls.push((JSON.parse(caller.ready[0]) as { p50: number }).p50);
    }
    const meshCall = median(meshCalls);
    const rows: Row[] = runs.map((rs) => ({
      route: rs[0].route,
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      rps: median(rs.map((r) => r.rps)),
      errors: rs.reduce((n, r) => n + r.errors, 0),
    }));
    console.table(
      rows.map((r) => ({
        route: r.route,
        'p50 ms (c=1)': r.p50.toFixed(3),
        'p99 ms (c=1)': r.p99.toFixed(3),
        'req/s (64 conns)': Math.round(r.rps),
        'req/s vs plain': (r.rps / rows[0].rps).toFixed(2),
        'p50 vs plain': (r.p50 / rows[0].p50).toFixed(2),
        errors: r.errors,
      })),
    );
    const [p, g, logged] = rows;
    const rpsRatio = g.rps / p.rps;
    const p50Ratio = g.p50 / p.p50;
    console.log(`gateway/plain, access log off like the plain route: req/s ${rpsRatio.toFixed(2)}x (target >= 0.6x), p50 ${p50Ratio.toFixed(2)}x (target < 2x)`);
    console.log(`gateway/plain, access log on: req/s ${(logged.rps / p.rps).toFixed(2)}x, p50 ${(logged.p50 / p.p50).toFixed(2)}x`);
    console.log(
      `a bare mesh call (same greeter, no HTTP): p50 ${meshCall.toFixed(3)} ms; the floor of the gateway's p50 ratio here, ` +
        `(plain p50 + mesh call p50) / plain p50: ${((p.p50 + meshCall) / p.p50).toFixed(2)}x`,
    );
    console.log(rpsRatio >= 0.6 && p50Ratio < 2 ? 'target met' : 'target NOT met');
  } finally {
    await stopAll();
  }
}

const mode = process.argv[2];
if (mode === 'serve-gateway') await serveGateway();
else if (mode === 'mesh-call') await measureMeshCall();
else if (mode === 'serve-plain') await servePlain();
else await drive();
