/**
 * meshrpc as a user gets it: `npm pack`, install the tarball into a new project outside this
 * repository, generate a service there with `npx meshrpc expose`, type-check it under strict
 * options, compile it with tsc, and run a service, an ES module caller, a CommonJS caller and
 * `npx meshrpc gateway` as plain node processes. Nothing here reaches into the repository's src/.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broker, NATS_URL } from '../helpers/brokers.js';
import { killAll, repoRoot, startCommand } from '../helpers/procs.js';

const run = promisify(execFile);
const nats = await broker('NATS', NATS_URL);
const MINUTE = 60_000;

interface PackResult {
  filename: string;
  size: number;
  entryCount: number;
  files: { path: string }[];
}

let workDir = '';
let project = '';
let pack: PackResult;
let installLog = '';
const timings: Record<string, number> = {};

/** The environment a user's shell would have: none of this run's meshrpc settings. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MESHRPC_') && !k.startsWith('VITEST') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

async function timed<T>(name: string, step: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await step();
  } finally {
    timings[name] = Date.now() - t0;
  }
}

function inProject(command: string, args: string[], env: Record<string, string> = {}, timeout = 2 * MINUTE) {
  return run(command, args, { cwd: project, env: userEnv(env), timeout, maxBuffer: 16 * 1024 * 1024 });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Poll until no process of the group `pgid` is left; false if some still are after `ms`. */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return true;
    }
  }
  return false;
}

/** Start `npx meshrpc gateway` in the project, call greet through it (and once badly), stop it. */
async function callThroughGateway(flags: string[], env: Record<string, string> = {}): Promise<void> {
  const gateway = await startCommand('npx', ['meshrpc', 'gateway', '--listen', '127.0.0.1:0', '--require', 'greeter', ...flags], {
    cwd: project,
    env: userEnv(env),
    readyPrefix: 'meshrpc gateway:',
    readyTimeout: MINUTE,
    group: true,
  });
  const http = /http (\S+?),/.exec(gateway.output())?.[1];
  expect(http).toBeDefined();
  const post = (body: string) => fetch(`http://${http}/greeter/greet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const res = await post('{"name":"Max"}');
  expect(res.status).toBe(200);
  expect(await res.json()).toBe('Hello, Max');
  expect((await post('{"name":1}')).status).toBe(400);
  // SIGTERM went to npx and the gateway it runs: both end, and nothing of the group is left.
  await gateway.stop();
  expect(await groupGone(gateway.proc.pid!, 10_000)).toBe(true);
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'meshrpc-consumer-'));
  project = path.join(workDir, 'app');
  // prepack builds dist/ from scratch, so the tarball is what `npm publish` would ship.
  const { stdout } = await timed('pack', () =>
    run('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: repoRoot, env: userEnv(), timeout: 3 * MINUTE, maxBuffer: 16 * 1024 * 1024 }),
  );
  pack = (JSON.parse(stdout.slice(stdout.indexOf('['))) as PackResult[])[0]!;
  await cp(path.join(repoRoot, 'test/fixtures/consumer'), project, { recursive: true });
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const install = await timed('install', () =>
    inProject('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(workDir, pack.filename), '@types/node@^20.19'], {}, 5 * MINUTE),
  );
  installLog = install.stdout + install.stderr;
}, 10 * MINUTE);

afterAll(async () => {
  await killAll();
  console.log(
    `[consumer] tarball ${pack?.filename}: ${((pack?.size ?? 0) / 1024).toFixed(1)} KiB, ${pack?.entryCount} files; ` +
      Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', '),
  );
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships dist/, package.json, README and LICENSE only: no sources, tests, benchmarks, CI files or tarballs', () => {
    const files = pack.files.map((f) => f.path);
    const outside = files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f));
    expect(outside).toEqual([]);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/cli/bin.js');
    expect(files.filter((f) => /\.(tgz|test\.js)$/.test(f))).toEqual([]);
  });

  it('installs on this Node without an EBADENGINE warning', () => {
    expect(installLog).not.toContain('EBADENGINE');
  });

  it('resolves every exports entry for import and for require', async () => {
    const manifest = JSON.parse(await readFile(path.join(project, 'node_modules/meshrpc/package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const entries = Object.keys(manifest.exports).filter((k) => k !== './package.json').map((k) => k.replace(/^\./, 'meshrpc'));
    expect(entries).toContain('meshrpc/runtime');
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const out = {};
      for (const name of ${JSON.stringify(entries)}) {
        const esm = await import(name);
        const cjs = require(name);
        out[name] = [Object.keys(esm).length, Object.keys(cjs).length];
      }
      console.log(JSON.stringify(out));`;
    const { stdout } = await inProject(process.execPath, ['--no-warnings', '--input-type=module', '-e', script]);
    const counts = JSON.parse(stdout) as Record<string, [number, number]>;
    for (const name of entries) {
      expect(counts[name]![0], `${name} exports something`).toBeGreaterThan(0);
      expect(counts[name]![1], `require('${name}') gives the same module`).toBe(counts[name]![0]);
    }
  });

  it('carries source maps that resolve inside node_modules (sources inlined)', async () => {
    const map = JSON.parse(await readFile(path.join(project, 'node_modules/meshrpc/dist/mesh/mesh.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
    expect(map.sourcesContent?.length).toBe(map.sources.length);
    expect(map.sourcesContent![0]).toContain('class Mesh');
  });

  it('runs the meshrpc command as compiled JavaScript, with no dev dependency installed', async () => {
    const { stdout } = await inProject('npx', ['meshrpc', '--help']);
    expect(stdout).toContain('expose');
    expect(stdout).toContain('gateway');
    const tsx = await readFile(path.join(project, 'node_modules/tsx/package.json'), 'utf8').catch(() => null);
    expect(tsx).toBeNull();
  });
});

describe('the Quick start in a new project', () => {
  let seed = '';

  it('generates the service with npx meshrpc expose', async () => {
    await timed('expose', () => inProject('npx', ['meshrpc', 'expose', '-y', 'src/greeter']));
    const generated = await readFile(path.join(project, 'src/greeter/greeter.mesh.ts'), 'utf8');
    expect(generated).not.toContain('@ts-nocheck');
    expect(generated).toContain("from 'meshrpc/runtime'");
  }, 3 * MINUTE);

  it('type-checks under strict options and compiles with tsc', async () => {
    const tsc = path.join(repoRoot, 'node_modules/.bin/tsc');
    const result = await timed('tsc', () => inProject(tsc, ['-p', 'tsconfig.json']).catch((err: { stdout?: string }) => ({ failed: err.stdout ?? String(err) })));
    expect(result).not.toHaveProperty('failed');
    await expect(readFile(path.join(project, 'dist/serve.js'), 'utf8')).resolves.toContain('createMesh');
  }, 3 * MINUTE);

  it('serves and calls the service as plain node processes, from ES modules and from CommonJS', async () => {
    const port = await freePort();
    seed = `127.0.0.1:${port}`;
    await startCommand(process.execPath, ['dist/serve.js'], { cwd: project, env: userEnv({ MESHRPC_LISTEN_ADDR: seed }) });
    const esm = await timed('call', () => inProject(process.execPath, ['dist/call.js'], { MESHRPC_CLUSTER_NODES: seed }, MINUTE));
    expect(esm.stdout.trim().split('\n')).toEqual(['Hello, Max', '{"lines":2,"copies":2,"sentAt":"1970-01-01T00:00:00.000Z"} true', 'INVALID_ARGUMENT']);
    const cjs = await inProject(process.execPath, ['call.cjs'], { MESHRPC_CLUSTER_NODES: seed }, MINUTE);
    expect(cjs.stdout.trim()).toBe('Hello, CommonJS');
  }, 2 * MINUTE);

  it('answers over HTTP through npx meshrpc gateway', async () => {
    expect(seed).not.toBe('');
    await callThroughGateway(['--mesh', '127.0.0.1:0', '--nodes', seed]);
  }, 2 * MINUTE);

  it.skipIf(!nats)('runs the same service, callers and gateway on NATS, by one setting', async () => {
    // A subject prefix of its own: other tests may run greeters on the same NATS meanwhile.
    const transport = { MESHRPC_TRANSPORT: NATS_URL, MESHRPC_NATS_PREFIX: `consumer${process.pid}` };
    await startCommand(process.execPath, ['dist/serve.js'], { cwd: project, env: userEnv(transport) });
    const esm = await inProject(process.execPath, ['dist/call.js'], transport, MINUTE);
    expect(esm.stdout.trim().split('\n')[0]).toBe('Hello, Max');
    const cjs = await inProject(process.execPath, ['call.cjs'], transport, MINUTE);
    expect(cjs.stdout.trim()).toBe('Hello, CommonJS');
    await callThroughGateway([], transport);
  }, 2 * MINUTE);
});
