/**
 * Membership at scale: N mesh nodes, each publishing one service, all joining through one seed at
 * once. Nodes live several to a process (BENCH_PER_PROCESS, default 5: a 2-core machine does not
 * hold 100 Node processes), the 5 churn victims in a process of their own so that a kill -9 takes
 * them down as a crash would. Prints, per N:
 *
 * - convergence: from the moment the last node listened until every node sees every service with
 *   exactly its publisher as instance;
 * - join bytes: TCP payload written by every mesh socket of every process, from before the first
 *   listen until convergence + 1 s (counted at the sockets, see membership-worker.ts);
 * - links per linked pair (1.00 = one link per pair), ECONNRESETs seen, link flaps (links a
 *   heartbeat declared dead), CPU seconds of all processes during the join;
 * - at rest (BENCH_REST_SECONDS, default 5, after 1 s): mesh bytes/s per node and CPU % of the
 *   machine (all cores = 100 %);
 * - churn: the victims' process is killed and 5 new nodes join: time until every node's view is
 *   right again.
 *
 *   BENCH_NODES=10,25 npx tsx bench/membership.ts      (default 10,25,50,100)
 *   BENCH_JOIN_SECONDS=90  bound on each wait; BENCH_HEARTBEAT_TIMEOUT=ms to change the nodes'
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { bundle } from './lib/server.js';

const sizes = (process.env.BENCH_NODES ?? '10,25,50,100').split(',').map(Number);
const perProcess = Number(process.env.BENCH_PER_PROCESS ?? 5);
const bound = Number(process.env.BENCH_JOIN_SECONDS ?? 90) * 1000;
const restMs = Number(process.env.BENCH_REST_SECONDS ?? 5) * 1000;
const heartbeatTimeout = process.env.BENCH_HEARTBEAT_TIMEOUT ? Number(process.env.BENCH_HEARTBEAT_TIMEOUT) : undefined;
const CHURN = 5;
const cores = cpus().length;

interface Stats {
  bytes: number;
  sockets: number;
  socketsOpened: number;
  resets: number;
  flaps: number;
  linked: number;
  cpu: { user: number; system: number };
  rss: number;
}

type Msg = { ev: string; [k: string]: unknown };

class Worker {
  readonly proc: ChildProcess;
  readonly #waiting = new Map<string, ((m: Msg) => void)[]>();
  onConverged: (m: Msg) => void = () => {};
  dead = false;

  constructor(file: string) {
    this.proc = fork(file, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m: Msg) => {
      if (m.ev === 'converged') return this.onConverged(m);
      this.#waiting.get(m.ev)?.shift()?.(m);
    });
    this.proc.once('exit', () => (this.dead = true));
  }

  next(ev: string): Promise<Msg> {
    return new Promise((resolve, reject) => {
      const list = this.#waiting.get(ev) ?? [];
      this.#waiting.set(ev, list);
      const timer = setTimeout(() => reject(new Error(`worker ${this.proc.pid}: no "${ev}" within ${bound} ms`)), bound);
      list.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  ask(msg: object, ev: string): Promise<Msg> {
    const reply = this.next(ev);
    this.proc.send(msg);
    return reply;
  }

  /** Close its nodes; kill -9 when that takes more than 5 s. */
  async stop(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.send({ cmd: 'exit' });
    const killer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function statsOf(workers: Worker[]): Promise<Stats> {
  const all = (await Promise.all(workers.filter((w) => !w.dead).map((w) => w.ask({ cmd: 'stats' }, 'stats')))) as unknown as Stats[];
  const sum = (f: (s: Stats) => number) => all.reduce((n, s) => n + f(s), 0);
  return {
    bytes: sum((s) => s.bytes),
    sockets: sum((s) => s.sockets),
    socketsOpened: sum((s) => s.socketsOpened),
    resets: sum((s) => s.resets),
    flaps: sum((s) => s.flaps),
    linked: sum((s) => s.linked),
    cpu: { user: sum((s) => s.cpu.user), system: sum((s) => s.cpu.system) },
    rss: sum((s) => s.rss),
  };
}

const cpuSeconds = (a: Stats, b: Stats) => (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1e6;

/** Resolves with the time every one of `count` nodes reported convergence for `epoch`, or undefined at the bound. */
function convergence(workers: Worker[], epoch: number, count: number): Promise<{ at: number | undefined; seen: number }> {
  const seen = new Map<number, number>();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ at: undefined, seen: seen.size }), bound);
    for (const w of workers) {
      w.onConverged = (m) => {
        if (m.epoch !== epoch) return;
        seen.set(m.index as number, m.at as number);
        if (seen.size < count) return;
        clearTimeout(timer);
        resolve({ at: Math.max(...seen.values()), seen: seen.size });
      };
    }
  });
}

async function run(n: number, file: string): Promise<void> {
  const regular = Array.from({ length: n - CHURN }, (_, i) => i);
  const chunks: number[][] = [];
  for (let i = 0; i < regular.length; i += perProcess) chunks.push(regular.slice(i, i + perProcess));
  chunks.push(Array.from({ length: CHURN }, (_, i) => n - CHURN + i)); // the victims
  const workers = chunks.map(() => new Worker(file));
  const everyone = [...workers];
  try {
    await Promise.all(workers.map((w) => w.next('ready')));
    const ids = new Map<number, string>();
    const take = (m: Msg) => (m.ids as [number, string][]).forEach(([i, id]) => ids.set(i, id));
    take(await workers[0].ask({ cmd: 'create', indices: [0], heartbeatTimeout }, 'created'));
    const seed = ((await workers[0].ask({ cmd: 'listen' }, 'listened')).addrs as string[])[0];
    const created = await Promise.all(workers.map((w, k) => w.ask({ cmd: 'create', indices: chunks[k].filter((i) => i !== 0), seed, heartbeatTimeout }, 'created')));
    created.forEach(take);
    const expect = (epoch: number, indices: number[]) => ({ cmd: 'expect', epoch, services: indices.map((i) => [`svc-${i}`, ids.get(i)]) });

    const joined = convergence(workers, 1, n);
    for (const w of workers) w.proc.send(expect(1, [...ids.keys()]));
    const before = await statsOf(workers);
    const t0 = Date.now();
    const listened = await Promise.all(workers.map((w) => w.ask({ cmd: 'listen' }, 'listened')));
    const lastListen = Math.max(...listened.map((m) => m.at as number));
    const { at, seen } = await joined;
    if (at !== undefined) await sleep(1000);
    const after = await statsOf(workers);
    const pairs = after.linked / 2;
    const convergedText = at === undefined ? `not within ${bound / 1000} s (${seen}/${n} nodes)` : `${((at - lastListen) / 1000).toFixed(2)} s`;
    console.log(`\nN=${n} (${workers.length} processes, up to ${perProcess} nodes each; listening took ${((lastListen - t0) / 1000).toFixed(2)} s)`);
    console.log(`  join: converged ${convergedText}; ${mb(after.bytes - before.bytes)} written; links per linked pair ${(after.sockets / 2 / Math.max(1, pairs)).toFixed(2)} (${after.sockets / 2} links, ${pairs} of ${(n * (n - 1)) / 2} pairs linked, ${after.socketsOpened - before.socketsOpened} sockets opened); resets ${after.resets}; flaps ${after.flaps}; CPU ${cpuSeconds(before, after).toFixed(1)} s`);

    await sleep(1000);
    const r0 = await statsOf(workers);
    const tr0 = Date.now();
    await sleep(restMs);
    const r1 = await statsOf(workers);
    const restS = (Date.now() - tr0) / 1000;
    console.log(`  rest: ${((r1.bytes - r0.bytes) / restS / n).toFixed(0)} B/s per node; CPU ${((cpuSeconds(r0, r1) / restS / cores) * 100).toFixed(1)} % of ${cores} cores; RSS ${mb(r1.rss)} in all; flaps ${r1.flaps - r0.flaps}`);

    // Churn: the victims crash, 5 new nodes join.
    const fresh = new Worker(file);
    everyone.push(fresh);
    await fresh.next('ready');
    const newcomers = Array.from({ length: CHURN }, (_, i) => n + i);
    take(await fresh.ask({ cmd: 'create', indices: newcomers, seed, heartbeatTimeout }, 'created'));
    const survivors = workers.slice(0, -1);
    const viewers = [...survivors, fresh];
    const k0 = await statsOf(survivors);
    const settled = convergence(viewers, 2, n);
    const tk = Date.now();
    workers[workers.length - 1].proc.kill('SIGKILL');
    const target = [...regular, ...newcomers];
    for (const w of viewers) w.proc.send(expect(2, target));
    await fresh.ask({ cmd: 'listen' }, 'listened');
    const churn = await settled;
    const c1 = await statsOf(viewers);
    const churnText = churn.at === undefined ? `not within ${bound / 1000} s (${churn.seen}/${n} nodes)` : `${((churn.at - tk) / 1000).toFixed(2)} s`;
    console.log(`  churn (${CHURN} killed, ${CHURN} new): every view right after ${churnText}; flaps ${c1.flaps - k0.flaps}`);
  } finally {
    await Promise.all(everyone.map((w) => w.stop()));
  }
}

function mb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(0)} KB`;
}

const file = await bundle('bench/membership-worker.ts');
for (const n of sizes) {
  if (!(n >= 2 * CHURN)) throw new Error(`BENCH_NODES: ${n} is below ${2 * CHURN}`);
  await run(n, file);
}
