/**
 * `npm start`: the README's demo on the built-in mesh, no broker needed. Starts the mesh-api
 * gateway and two greeter instances as child processes, waits until the gateway sees both,
 * prints the curl lines to try, and on Ctrl-C (SIGINT), SIGTERM or its own exit stops exactly
 * the processes it started, by pid, and waits for them.
 *
 * `MESHRPC_TRANSPORT=nats://127.0.0.1:4222 npm start` runs the same processes on NATS instead
 * (MESHRPC_NATS_PREFIX, when set, keeps them apart from other clusters on that server).
 *
 * Ports: APP_HTTP_PORT (default 8282) and DEMO_MESH_PORT (default 11999), on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const httpPort = Number(process.env.APP_HTTP_PORT ?? 8282);
const meshPort = Number(process.env.DEMO_MESH_PORT ?? 11999);
const base = `http://127.0.0.1:${httpPort}`;
// The engine is the one setting the children share with the demo (validated by each child's createMesh).
const engine: Record<string, string> = {};
for (const key of ['MESHRPC_TRANSPORT', 'MESHRPC_NATS_PREFIX'] as const) {
  const value = process.env[key];
  if (value) engine[key] = value;
}
const onNats = /^\s*nats:/.test(engine.MESHRPC_TRANSPORT ?? '');

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
}

const children: Child[] = [];
let stopping = false;

/** Start a TypeScript entry on node with the tsx loader; resolves once a line matches `ready`. */
function start(name: string, entry: string, env: Record<string, string>, ready: RegExp): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    // Only what this child should see of the MESHRPC_* settings: the demo decides its ports.
    env: { ...withoutMeshEnv(process.env), MESHRPC_LOG_LEVEL: process.env.MESHRPC_LOG_LEVEL ?? 'warn', ...engine, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = { name, proc, exited };
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = false;
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 20 s`)), 20_000);
    const onLine = (line: string) => {
      if (!seen && ready.test(line)) {
        seen = true;
        clearTimeout(timer);
        resolve(child);
      }
      if (line.trim()) console.log(`[${name}] ${line}`);
    };
    lines(proc.stdout!, onLine);
    lines(proc.stderr!, onLine);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!seen) reject(new Error(`${name} exited (${signal ?? code}) before it was ready`));
      else if (!stopping) {
        console.error(`[demo] ${name} stopped unexpectedly (${signal ?? code}); stopping the rest`);
        void stopAll(1);
      }
    });
  });
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) !== -1) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

function withoutMeshEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('MESHRPC_') && k !== 'APP_HTTP_PORT') out[k] = v;
  return out;
}

/** SIGTERM each child by pid, SIGKILL whoever is still there after 5 s, wait for all, exit. */
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
  const killer = setTimeout(() => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  }, 5000);
  await Promise.all(children.map((c) => c.exited));
  clearTimeout(killer);
  console.log('[demo] stopped: gateway and greeters');
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
// Last resort (an exception, process.exit elsewhere): never leave children behind.
process.on('exit', () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
});

async function waitForGreeters(count: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (let i = 0; i < 1000 && Date.now() < end; i++) {
    try {
      const res = await fetch(`${base}/`);
      const { services } = (await res.json()) as { services: { name: string; instances: number }[] };
      if ((services.find((s) => s.name === 'greeter')?.instances ?? 0) >= count) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the gateway did not see ${count} greeters within ${ms} ms`);
}

try {
  const gateway = await start(
    'gateway',
    'examples/mesh-api/main.ts',
    { APP_HTTP_PORT: `127.0.0.1:${httpPort}`, MESHRPC_LISTEN_ADDR: `127.0.0.1:${meshPort}`, MESHRPC_LOG_LEVEL: process.env.MESHRPC_LOG_LEVEL ?? 'info' },
    /^mesh-api: http /,
  );
  const greeterEnv = { MESHRPC_LISTEN_ADDR: '127.0.0.1:0', MESHRPC_CLUSTER_NODES: `127.0.0.1:${meshPort}` };
  const greeters = await Promise.all([
    start('greeter-1', 'examples/greeter/main.ts', greeterEnv, /greeter listening on/),
    start('greeter-2', 'examples/greeter/main.ts', greeterEnv, /greeter listening on/),
  ]);
  await waitForGreeters(2, 15_000);
  const host = `localhost:${httpPort}`;
  console.log(`
meshrpc demo: a gateway and two greeters on ${onNats ? `NATS (${engine.MESHRPC_TRANSPORT})` : 'the built-in mesh'}.
  pids: gateway=${gateway.proc.pid} greeters=${greeters.map((g) => g.proc.pid).join(',')}

Try:
  curl ${host}/greeter/greet/Max
  curl -X POST ${host}/greeter/sendPostcard/Max/World/Hello
  curl ${host}/greeter/check
  curl -d '{"name":"Max"}' ${host}/greeter/greet
  curl ${host}/openapi.json
  curl ${host}/metrics

Ctrl-C stops everything.
`);
} catch (err) {
  console.error(`[demo] ${(err as Error).message}`);
  await stopAll(1);
}
