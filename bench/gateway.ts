/**
 * Gateway benchmark: HTTP -> gateway -> mesh -> greeter (POST /greeter/greet), beside a plain
 * Fastify route returning the same JSON, both measured in the same run with autocannon:
 * p50/p99 at concurrency 1 and requests/s at 64 connections. Every server is its own process
 * on 127.0.0.1; this process only drives load. Bounded: BENCH_SECONDS (default 5) per measurement.
 *
 *   npx tsx bench/gateway.ts
 *
 * Target: gateway requests/s >= 0.6x the plain route's, and p50 < 2x the plain route's p50.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, rounds } from './lib/stats.js';
import autocannon from 'autocannon';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const root = fileURLToPath(new URL('../', import.meta.url));
const BODY = '{"name":"Max"}';
const EXPECTED = '"Hello, Max"';

// ---- server modes (this file runs itself as each server) ----

async function serveGateway(): Promise<void> {
  const { Mesh } = await import('../src/mesh/mesh.js');
  const { createGateway } = await import('../src/gateway/index.js');
  const mesh = new Mesh({ name: 'gateway' });
  // Defaults as shipped (access log on, metrics on); stdout goes to /dev/null here.
  const quiet = process.env.BENCH_GATEWAY_QUIET === '1';
  const gateway = createGateway(mesh, { require: ['greeter'], ...(quiet ? { logger: false as const, metrics: false } : {}) });
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

// ---- the driver ----

interface Proc {
  proc: ChildProcess;
  ready: string[];
}

const procs: ChildProcess[] = [];

function start(args: string[], env: Record<string, string> = {}, readyPrefix = 'READY '): Promise<Proc> {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env: { ...process.env, MESHRPC_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  procs.push(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} not ready:\n${out}`)), 20_000);
    proc.stdout!.on('data', (d) => {
      if (out.length < 65_536) out += d;
      const line = out.split('\n').find((l) => l.startsWith(readyPrefix));
      if (line && timer) {
        clearTimeout(timer);
        resolve({ proc, ready: line.slice(readyPrefix.length).trim().split(' ') });
      }
    });
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}`)));
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
    const plain = await start([self, 'serve-plain']);
    const gw = await start([self, 'serve-gateway']);
    await start(['examples/greeter/main.ts'], { MESHRPC_LISTEN_ADDR: '127.0.0.1:0', MESHRPC_CLUSTER_NODES: gw.ready[1] }, 'greeter listening on');
    const gwUrl = `http://${gw.ready[0]}/greeter/greet`;
    const plainUrl = `http://${plain.ready[0]}/greeter/greet`;
    for (let i = 0; i < 200; i++) {
      const r = await fetch(gwUrl, { method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } }).catch(() => undefined);
      if (r && r.status === 200 && (await r.text()) === EXPECTED) break;
      if (i === 199) throw new Error('the gateway never answered through the greeter');
      await new Promise((res) => setTimeout(res, 50));
    }
    const check = await fetch(plainUrl, { method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } });
    if ((await check.text()) !== EXPECTED) throw new Error('the plain route answers something else');

    console.log(`gateway benchmark: POST /greeter/greet ${BODY}, ${seconds} s per measurement, autocannon; medians of ${rounds} interleaved rounds`);
    // Interleaved rounds, medians: one run on this shared machine can be 30% off either way.
    const runs: Row[][] = [[], []];
    for (let round = 0; round < rounds; round++) {
      runs[0].push(await measure('plain Fastify route', plainUrl));
      runs[1].push(await measure('gateway -> mesh -> greeter', gwUrl));
    }
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
        errors: r.errors,
      })),
    );
    const [p, g] = rows;
    const rpsRatio = g.rps / p.rps;
    const p50Ratio = g.p50 / p.p50;
    console.log(`gateway/plain: req/s ${rpsRatio.toFixed(2)}x (target >= 0.6x), p50 ${p50Ratio.toFixed(2)}x (target < 2x)`);
    console.log(rpsRatio >= 0.6 && p50Ratio < 2 ? 'target met' : 'target NOT met');
  } finally {
    await stopAll();
  }
}

const mode = process.argv[2];
if (mode === 'serve-gateway') await serveGateway();
else if (mode === 'serve-plain') await servePlain();
else await drive();
