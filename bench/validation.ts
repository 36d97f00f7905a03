/**
 * What compiled validation costs on the hot path. Runs the greeter's `greet` and a call carrying
 * a nested ~1 KB object (`page` from the codegen corpus: a Page<Address>) with the generated
 * validators and with them removed, in-process (LocalCaller: no network, the worst case for the
 * ratio) and across two mesh nodes on 127.0.0.1, and prints per-call times and the overhead.
 * Also times the bare validators. Bounded: a fixed number of calls per round, and every round
 * stops early after ROUND_MS.
 *
 *   npx tsx bench/validation.ts            (about 50 s)
 *   QUICK=1 npx tsx bench/validation.ts    (about 15 s)
 */
import { performance } from 'node:perf_hooks';
import { createHandler, invokeMethod, LocalCaller, Mesh, type Caller, type MethodSpec, type ServiceSpec } from 'meshrpc';
import { greeterSpec } from '../examples/greeter/greeter.mesh.js';
import { Greeter } from '../examples/greeter/service.js';
import { corpusSpec } from '../test/fixtures/codegen/corpus/types.mesh.js';
import type { CorpusService } from '../test/fixtures/codegen/corpus/types.js';

const QUICK = process.env.QUICK === '1';
const ROUNDS = QUICK ? 3 : 9;
const ROUND_MS = QUICK ? 200 : 400;
const CONCURRENCY = 32;

function withoutValidation<T>(spec: ServiceSpec<T>, name: string): ServiceSpec<T> {
  const methods: Record<string, MethodSpec> = {};
  for (const [m, s] of Object.entries(spec.methods)) methods[m] = { ...s, validateParams: undefined };
  return { ...spec, name, methods };
}

const address = (i: number) => ({ street: `${i} Long Street Name`, city: 'Somewhere', zip: '12345', lines: ['Building A', `Floor ${i}`] });
const page = { items: Array.from({ length: 10 }, (_, i) => address(i)), total: 10, next: 'cursor-abcdef' };
const pageBytes = Buffer.byteLength(JSON.stringify({ v: page }));

const corpusImpl = new Proxy({} as CorpusService, { get: () => async (v: unknown) => v });
const greeter = new Greeter();

interface Case {
  label: string;
  service: string;
  method: string;
  spec: MethodSpec;
  argv: unknown[];
}

/** Validated services, their copies without validators ('-nv'), and a validated copy ('-aa') to measure the noise floor. */
function cases(suffix: '' | '-nv' | '-aa'): Case[] {
  return [
    { label: 'greet', service: `greeter${suffix}`, method: 'greet', spec: greeterSpec.methods.greet, argv: ['Max'] },
    { label: `page (${pageBytes} B)`, service: `corpus${suffix}`, method: 'page', spec: corpusSpec.methods.page, argv: [page] },
  ];
}

function handlers() {
  return [
    createHandler(greeterSpec, greeter),
    createHandler(withoutValidation(greeterSpec, 'greeter-nv'), greeter),
    createHandler(corpusSpec, corpusImpl),
    createHandler(withoutValidation(corpusSpec, 'corpus-nv'), corpusImpl),
    createHandler({ ...greeterSpec, name: 'greeter-aa' }, greeter),
    createHandler({ ...corpusSpec, name: 'corpus-aa' }, corpusImpl),
  ];
}

/** Mean microseconds per call over one round (sequential, or CONCURRENCY calls in flight). */
async function round(caller: Caller, c: Case, concurrent: boolean): Promise<number> {
  const target = { service: c.service, method: c.method };
  const start = performance.now();
  let calls = 0;
  const deadline = start + ROUND_MS;
  if (!concurrent) {
    while (performance.now() < deadline && calls < 200_000) {
      await invokeMethod(caller, target, c.spec, c.argv, {});
      calls++;
    }
  } else {
    const worker = async () => {
      while (performance.now() < deadline && calls < 200_000) {
        calls++;
        await invokeMethod(caller, target, c.spec, c.argv, {});
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }
  return ((performance.now() - start) * 1000) / calls;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function compare(title: string, caller: Caller, concurrent: boolean, control = false): Promise<void> {
  const on = cases('');
  const off = cases(control ? '-aa' : '-nv');
  for (let i = 0; i < on.length; i++) {
    await round(caller, on[i], concurrent); // warm up both paths
    await round(caller, off[i], concurrent);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Interleaved, alternating which goes first, so drift (GC, CPU frequency, other load) hits both alike.
      if (r % 2 === 0) {
        a.push(await round(caller, on[i], concurrent));
        b.push(await round(caller, off[i], concurrent));
      } else {
        b.push(await round(caller, off[i], concurrent));
        a.push(await round(caller, on[i], concurrent));
      }
    }
    const withV = median(a);
    const without = median(b);
    const overhead = ((withV - without) / without) * 100;
    const [x, y] = control ? ['A', 'A\''] : ['with', 'without'];
    console.log(
      `${title.padEnd(40)} ${on[i].label.padEnd(15)} ${x} ${withV.toFixed(2).padStart(7)} µs  ${y} ${without.toFixed(2).padStart(7)} µs  ratio ${(withV / without).toFixed(3)}  ${control ? 'noise' : 'overhead'} ${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)}%`,
    );
  }
}

function validatorCost(): void {
  for (const [label, spec, args] of [
    ['greet', greeterSpec.methods.greet, { name: 'Max' }],
    [`page (${pageBytes} B)`, corpusSpec.methods.page, JSON.parse(JSON.stringify({ v: page }))],
  ] as const) {
    const validate = spec.validateParams!;
    const n = QUICK ? 100_000 : 1_000_000;
    for (let i = 0; i < n / 10; i++) validate(args);
    const start = performance.now();
    for (let i = 0; i < n; i++) if (validate(args)) throw new Error('unexpected problems');
    const ns = ((performance.now() - start) * 1e6) / n;
    console.log(`${'validator alone'.padEnd(40)} ${label.padEnd(15)} ${ns.toFixed(0).padStart(6)} ns per call`);
  }
}

async function main(): Promise<void> {
  console.log(`validation benchmark (node ${process.version}, ${ROUNDS} rounds of ${ROUND_MS} ms, medians)`);
  console.log('The A/B ratios include run-to-run noise of a few percent; the validator-alone times are the cost itself.');
  validatorCost();

  const local = new LocalCaller();
  for (const h of handlers()) local.dispatcher.register(h.info, h.endpoint);
  await compare('in-process (LocalCaller), 1 at a time', local, false);
  await compare('  control: validated vs validated copy', local, false, true);

  const server = new Mesh({ name: 'bench-server', nodes: [] });
  for (const h of handlers()) server.publish(h);
  await server.listen('127.0.0.1:0');
  const client = new Mesh({ name: 'bench-client', nodes: [server.address!] });
  await client.listen();
  try {
    await client.waitFor(['greeter', 'greeter-nv', 'corpus', 'corpus-nv'], 10_000);
    await client.waitFor(['greeter-aa', 'corpus-aa'], 10_000);
    await compare('mesh over TCP, 1 at a time', client, false);
    await compare('  control: validated vs validated copy', client, false, true);
    await compare(`mesh over TCP, ${CONCURRENCY} in flight`, client, true);
    await compare('  control: validated vs validated copy', client, true, true);
  } finally {
    await Promise.all([client.close(), server.close()]);
  }
}

await main();
