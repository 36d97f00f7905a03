/**
 * Mesh benchmark: the greet call, client here and server in its own process on loopback, beside
 * a raw-socket baseline measured in the same run (length-prefixed JSON frames multiplexed over
 * one `net` socket, writes of one tick coalesced). Prints p50/p99 at concurrency 1, calls/s at
 * 64 in flight, the server's peak RSS, and the ratios to the baseline. The same pair runs again
 * over mutual TLS 1.3 (certificates made for the run): meshrpc's links beside the same frames
 * over node:tls.
 *
 *   npx tsx bench/mesh.ts     (BENCH_SECONDS=3 per measurement, BENCH_ROUNDS=3)
 *
 * The variants run in interleaved rounds and each figure is the median over the rounds: on a
 * shared 2-core machine one run of one variant can be 30% off, and interleaving spreads that
 * noise over every variant alike instead of favouring whichever ran in a quiet moment.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as plainConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { Mesh } from '../src/index.js';
import { createCa, issueCertificate } from '../src/security/certs.js';
import { greeterClient } from '../examples/greeter/greeter.mesh.js';
import { fmt, measureLatency, measureThroughput, median, rounds, type LatencyResult } from './lib/stats.js';
import { startServer } from './lib/server.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const ms = seconds * 1000;

interface Row {
  name: string;
  lat: LatencyResult;
  tput: number;
  rss: number;
}

class RawClient {
  #socket!: Socket;
  #next = 1;
  #pending = new Map<number, (v: unknown) => void>();
  #buf: Buffer = Buffer.alloc(0);
  #corked = false;

  async connect(addr: string, tls?: TlsFiles): Promise<void> {
    const i = addr.lastIndexOf(':');
    const [host, port] = [addr.slice(0, i), Number(addr.slice(i + 1))];
    await new Promise<void>((resolve) => {
      this.#socket = tls
        ? tlsConnect(
            { host, port, ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key), minVersion: 'TLSv1.3', checkServerIdentity: () => undefined },
            resolve,
          )
        : plainConnect({ host, port }, resolve);
    });
    this.#socket.setNoDelay(true);
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
      let o = 0;
      while (this.#buf.length - o >= 4) {
        const len = this.#buf.readUInt32BE(o);
        if (this.#buf.length - o - 4 < len) break;
        const msg = JSON.parse(this.#buf.toString('utf8', o + 4, o + 4 + len));
        o += 4 + len;
        const resolve = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        resolve?.(msg.result);
      }
      this.#buf = o === this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(o);
    });
  }

  greet(name: string): Promise<unknown> {
    const id = this.#next++;
    const body = Buffer.from(JSON.stringify({ id, method: 'greet', args: { name } }));
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeUInt32BE(body.length, 0);
    body.copy(frame, 4);
    const p = new Promise((resolve) => this.#pending.set(id, resolve));
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    this.#socket.write(frame);
    return p;
  }

  close(): void {
    this.#socket.destroy();
  }
}

async function measure(name: string, call: () => Promise<unknown>): Promise<Omit<Row, 'rss'>> {
  await measureThroughput(call, 64, Math.min(1000, ms / 2)); // warm-up: JIT, connection, buffers
  const lat = await measureLatency(call, ms);
  const tput = await measureThroughput(call, 64, ms);
  return { name, lat, tput };
}

interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** A CA and certificates for the server and the client, in a temporary directory removed at exit. */
async function makeCertificates(): Promise<{ server: TlsFiles; client: TlsFiles }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'meshrpc-bench-tls-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ca = await createCa({ trustDomain: 'bench.local' });
  writeFileSync(path.join(dir, 'ca.pem'), ca.cert);
  const files = async (name: string): Promise<TlsFiles> => {
    const pair = await issueCertificate({ ca, name });
    writeFileSync(path.join(dir, `${name}.pem`), pair.cert);
    writeFileSync(path.join(dir, `${name}.key`), pair.key);
    return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  };
  return { server: await files('greeter'), client: await files('bench') };
}

const serverEnv = (tls: TlsFiles | undefined): Record<string, string> => (tls ? { BENCH_TLS_CA: tls.ca, BENCH_TLS_CERT: tls.cert, BENCH_TLS_KEY: tls.key } : {});

async function benchRaw(certs?: { server: TlsFiles; client: TlsFiles }): Promise<Row> {
  const server = await startServer('bench/mesh-server.ts', ['raw'], serverEnv(certs?.server));
  const client = new RawClient();
  await client.connect(server.address, certs?.client);
  const r = await measure(certs ? 'raw mutual TLS (TLS baseline)' : 'raw socket (baseline)', () => client.greet('Max'));
  client.close();
  return { ...r, rss: await server.stop() };
}

async function benchMesh(codec: 'json' | 'msgpack', certs?: { server: TlsFiles; client: TlsFiles }): Promise<Row> {
  const server = await startServer('bench/mesh-server.ts', ['mesh'], { BENCH_CODEC: codec, ...serverEnv(certs?.server) });
  const mesh = new Mesh({ name: 'bench', nodes: [server.address], codec, ...(certs && { tls: certs.client }) });
  await mesh.listen();
  await mesh.waitFor('greeter', 10_000);
  const greeter = greeterClient(mesh);
  const r = await measure(certs ? `meshrpc mesh, mutual TLS (${codec})` : `meshrpc mesh (${codec})`, () => greeter.greet('Max'));
  await mesh.close();
  return { ...r, rss: await server.stop() };
}

/** One row per variant, each figure the median of its rounds. */
function medianRow(runs: Row[]): Row {
  return {
    name: runs[0].name,
    lat: { p50: median(runs.map((r) => r.lat.p50)), p99: median(runs.map((r) => r.lat.p99)), calls: runs.reduce((n, r) => n + r.lat.calls, 0) },
    tput: median(runs.map((r) => r.tput)),
    rss: Math.max(...runs.map((r) => r.rss)),
  };
}

export async function runMeshBench(): Promise<Row[]> {
  const certs = await makeCertificates();
  const variants = [() => benchRaw(), () => benchMesh('json'), () => benchMesh('msgpack'), () => benchRaw(certs), () => benchMesh('json', certs)];
  const runs: Row[][] = variants.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let v = 0; v < variants.length; v++) runs[v].push(await variants[v]());
  }
  const rows = runs.map(medianRow);
  const [base, , , tlsBase] = rows as [Row, Row, Row, Row, Row];
  const baseOf = (r: Row) => (r.name.includes('TLS') ? tlsBase : base);
  console.log(`\nMesh: greet over loopback, separate processes; medians of ${rounds} interleaved rounds of ${seconds}s per measurement; RSS is the peak`);
  console.table(
    rows.map((r) => ({
      transport: r.name,
      'p50 µs (c=1)': fmt(r.lat.p50, 1),
      'p99 µs (c=1)': fmt(r.lat.p99, 1),
      'calls/s (c=64)': fmt(r.tput),
      'server peak RSS MiB': fmt(r.rss / 1048576, 1),
      'calls/s vs baseline': `${fmt((r.tput / baseOf(r).tput) * 100)}%`,
      'p50 vs baseline': `${fmt(r.lat.p50 / baseOf(r).lat.p50, 2)}x`,
    })),
  );
  const mesh = rows[1]!;
  const tlsMesh = rows[4]!;
  console.log(
    `targets: calls/s >= 75% of baseline: ${fmt((mesh.tput / base.tput) * 100)}%; ` +
      `c=1 p50 <= 1.2x baseline: ${fmt(mesh.lat.p50 / base.lat.p50, 2)}x; ` +
      `server peak RSS < 80 MiB: ${fmt(mesh.rss / 1048576, 1)} MiB`,
  );
  console.log(
    `TLS targets (vs raw mutual TLS): calls/s >= 85%: ${fmt((tlsMesh.tput / tlsBase.tput) * 100)}%; ` +
      `c=1 p50 <= 1.15x: ${fmt(tlsMesh.lat.p50 / tlsBase.lat.p50, 2)}x`,
  );
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runMeshBench();
}
