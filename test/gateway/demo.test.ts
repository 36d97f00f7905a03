/**
 * `npm start` as the README runs it: the demo answers the README's curl lines, and Ctrl-C
 * (SIGINT to the demo's process group, as a terminal sends it) leaves no process behind; and
 * `MESHRPC_TRANSPORT=nats://... npm start` does the same with every process on NATS.
 */
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { NATS_URL, broker } from '../helpers/brokers.js';
import { repoRoot } from '../helpers/procs.js';
import { until } from './helpers.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const natsUp = await broker('NATS', NATS_URL);
const started: number[] = [];

afterAll(() => {
  // Should the test fail midway: the demo's group, which this test created, goes.
  for (const pid of started) if (alive(pid)) process.kill(-pid, 'SIGKILL');
});

/** Run `npm start` with `env`, try every curl line it prints, Ctrl-C it; returns its output. */
async function demo(env: Record<string, string>): Promise<string> {
  const [httpPort, meshPort] = [await freePort(), await freePort()];
  const npm = spawn('npm', ['start'], {
    cwd: repoRoot,
    env: { ...process.env, APP_HTTP_PORT: String(httpPort), DEMO_MESH_PORT: String(meshPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, like a terminal's foreground job
  });
  started.push(npm.pid!);
  let out = '';
  npm.stdout!.on('data', (d) => (out += d));
  npm.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));

  await until(() => out.includes('Ctrl-C stops everything'), 40_000, `the demo to be ready:\n${out}`);
  const m = /pids: gateway=(\d+) greeters=(\d+),(\d+)/.exec(out);
  expect(m, out).toBeTruthy();
  const pids = m!.slice(1).map(Number);
  expect(out).toContain(`curl localhost:${httpPort}/greeter/greet/Max`);

  const base = `http://127.0.0.1:${httpPort}`;
  // curl localhost:8282/greeter/greet/Max
  const greet = await fetch(`${base}/greeter/greet/Max`);
  expect(greet.status).toBe(200);
  expect(await greet.text()).toBe('"Hello, Max"');
  // curl -X POST localhost:8282/greeter/sendPostcard/Max/World/Hello
  const card = await fetch(`${base}/greeter/sendPostcard/Max/World/Hello`, { method: 'POST' });
  expect(await card.json()).toEqual({ recipient: 'Max', address: 'World', message: 'Hello' });
  // curl localhost:8282/greeter/check
  const check = await fetch(`${base}/greeter/check`);
  expect(check.status).toBe(200);
  const text = (await check.text()).trim();
  expect(text).toMatch(/^All ok! \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  // curl -d '{"name":"Max"}' localhost:8282/greeter/greet
  const auto = await fetch(`${base}/greeter/greet`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: '{"name":"Max"}',
  });
  expect(await auto.text()).toBe('"Hello, Max"');

  process.kill(-npm.pid!, 'SIGINT');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  expect(npm.exitCode !== null || npm.signalCode !== null).toBe(true);
  await until(() => pids.every((pid) => !alive(pid)), 5000, 'every child to be gone');
  for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
  // The exit can be seen before the last output chunk has been read from the pipe.
  await until(() => out.includes('[demo] stopped: gateway and greeters'), 5000, `the demo's closing line:\n${out}`);
  return out;
}

describe('npm start', () => {
  it('serves the README curl lines and stops every process it started on Ctrl-C', async () => {
    const out = await demo({});
    expect(out).toContain('two greeters on the built-in mesh');
  }, 60_000);

  it.skipIf(!natsUp)('does the same on NATS with MESHRPC_TRANSPORT=nats://...', async () => {
    // A prefix of its own: other runs may share this NATS server.
    const out = await demo({ MESHRPC_TRANSPORT: NATS_URL, MESHRPC_NATS_PREFIX: `t${randomUUID().slice(0, 8)}` });
    expect(out).toContain(`two greeters on NATS (${NATS_URL})`);
    expect(out).toMatch(/mesh-api: http 127\.0\.0\.1:\d+, mesh nats:\/\//);
  }, 60_000);
});
