/**
 * Transport benchmark: the greet call over the mesh, NATS, gRPC (the greeter's own proto and the
 * generic MessageService contract) and RabbitMQ request/reply; beside, measured in the same run,
 * a bare @grpc/grpc-js server with a proto-loader handler and a bare NATS request/reply.
 *
 * Each subject runs in a process of its own (bench/transport-subject.ts, bundled, plain node),
 * its server and client sharing that process, so no subject inherits another's JIT state, heap
 * or async hooks. Subjects run in interleaved rounds and each figure is the median of its rounds:
 * on this kind of shared machine one run can be 30% off either way.
 *
 *   npx tsx bench/transports.ts    (BENCH_SECONDS=2 per measurement, BENCH_ROUNDS=3, BENCH_SUBJECTS=a,b; NATS_URL, AMQP_URL)
 *
 * Our clients give every call a deadline (30 s unless the caller sets one), and grpc-js spends
 * real work on one (a timer on each side, the grpc-timeout header), so gRPC is compared with a
 * bare client that sets the same deadline, and the deadline-free bare figure is printed too.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundle } from './lib/server.js';
import { fmt, median, printTable, rounds } from './lib/stats.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const root = fileURLToPath(new URL('../', import.meta.url));

const ALL_SUBJECTS: Array<[key: string, label: string]> = [
  ['mesh', 'mesh (ours)'],
  ['nats-bare', 'NATS bare request/reply'],
  ['nats', 'NATS (ours)'],
  ['grpc-bare', 'gRPC bare grpc-js, no deadline'],
  ['grpc-bare-deadline', 'gRPC bare grpc-js, 30 s deadline'],
  ['grpc', 'gRPC (ours, greeter.proto)'],
  ['grpc-generic', 'gRPC (ours, MessageService)'],
  ['amqp', 'RabbitMQ request/reply (ours)'],
];

/** BENCH_SUBJECTS=grpc,grpc-bare-deadline runs a subset (more rounds of fewer subjects). */
const only = process.env.BENCH_SUBJECTS?.split(',').map((k) => k.trim());
const SUBJECTS = only ? ALL_SUBJECTS.filter(([k]) => only.includes(k)) : ALL_SUBJECTS;

interface Result {
  p50: number;
  p99: number;
  tput: number;
}

function runSubject(file: string, key: string, pair?: string): Promise<Result | string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [file, key, ...(pair ? [pair] : [])], { cwd: root, env: { ...process.env, BENCH_SECONDS: String(seconds) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    // Bounded: setup, three measurements and teardown well inside this.
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000 + 4 * seconds * 1000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      const result = /^(?:RESULT|PAIR) (.*)$/m.exec(out);
      const skip = /^SKIP (.*)$/m.exec(out);
      if (result) resolve(JSON.parse(result[1]) as Result);
      else if (skip) resolve(skip[1]);
      else reject(new Error(`${key} exited with ${code}:\n${out}`));
    });
  });
}

const file = await bundle('bench/transport-subject.ts');
const results = new Map<string, Result[]>(SUBJECTS.map(([k]) => [k, []]));
const skipped = new Map<string, string>();
console.log(`transports: greet, client and server in one process per subject, ${seconds} s per measurement, medians of ${rounds} interleaved rounds`);
for (let round = 0; round < rounds; round++) {
  for (const [key, label] of SUBJECTS) {
    if (skipped.has(key)) continue;
    const r = await runSubject(file, key);
    if (typeof r === 'string') {
      skipped.set(key, r);
      console.log(`[skipped] ${label}: ${r}`);
      continue;
    }
    results.get(key)!.push(r);
    console.log(`round ${round + 1} ${label.padEnd(34)} p50 ${fmt(r.p50)} µs  p99 ${fmt(r.p99)} µs  ${fmt(r.tput)} calls/s at 64`);
  }
}

// The same pairs again, each pair in one process: p50 with calls interleaved one by one, calls/s
// in alternating 250 ms bursts. Separate processes drift apart by tens of µs and by 30% in
// calls/s between runs here, which is more than what we measure; within a pair, drift hits both.
const PAIRS: Array<[bare: string, ours: string, name: string]> = [
  ['grpc-bare-deadline', 'grpc', 'gRPC (greeter.proto) vs bare with the same deadline'],
  ['grpc-bare', 'grpc', 'gRPC (greeter.proto) vs bare without a deadline'],
  ['nats-bare', 'nats', 'NATS'],
];
interface Paired {
  bare: number;
  ours: number;
  bareTput: number;
  oursTput: number;
}
const paired = new Map<string, Paired[]>();
for (let round = 0; round < rounds; round++) {
  for (const [bare, ours, name] of PAIRS) {
    if (!results.get(bare)?.length || !results.get(ours)?.length) continue;
    const r = (await runSubject(file, 'pair', `${bare},${ours}`)) as unknown as Paired;
    (paired.get(name) ?? paired.set(name, []).get(name)!).push(r);
    console.log(`round ${round + 1} paired, ${name}: p50 bare ${fmt(r.bare)} µs, ours ${fmt(r.ours)} µs; calls/s bare ${fmt(r.bareTput)}, ours ${fmt(r.oursTput)}`);
  }
}

const med = new Map<string, Result>();
for (const [key, rs] of results) {
  if (rs.length) med.set(key, { p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), tput: median(rs.map((r) => r.tput)) });
}
printTable(
  `greet, medians of ${rounds} rounds`,
  SUBJECTS.filter(([k]) => med.has(k)).map(([k, label]) => {
    const r = med.get(k)!;
    return { transport: label, 'p50 µs (c=1)': fmt(r.p50), 'p99 µs (c=1)': fmt(r.p99), 'calls/s (64 in flight)': fmt(r.tput) };
  }),
);

const sign = (n: number) => (n >= 0 ? '+' : '');
const pct = (n: number) => `${sign(n)}${fmt(n, 1)}%`;
console.log('\nOur cost over bare: paired in one process (primary), and across separate processes:');
for (const [bare, ours, name] of PAIRS) {
  const o = med.get(ours);
  const b = med.get(bare);
  const pr = paired.get(name);
  if (!o || !b || !pr?.length) continue;
  const m = (f: (r: Paired) => number) => median(pr.map(f));
  console.log(
    `${name}: throughput cost ${pct((m((r) => r.bareTput) / m((r) => r.oursTput) - 1) * 100)}, p50 ${pct((m((r) => r.ours) / m((r) => r.bare) - 1) * 100)} ` +
      `(separate processes: ${pct((b.tput / o.tput - 1) * 100)}, p50 ${pct((o.p50 / b.p50 - 1) * 100)}) (target: under 10%)`,
  );
}
