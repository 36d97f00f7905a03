/**
 * The greeter example as the README runs it: two instances joined through environment
 * variables, and the caller printing the greeting and the postcard.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, repoRoot, startTs } from '../helpers/procs.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(entry: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('examples/greeter', () => {
  afterAll(killAll);

  it('two instances and the caller, joined through MESHRPC_* variables', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const a = await startTs('examples/greeter/main.ts', { MESHRPC_LISTEN_ADDR: `127.0.0.1:${p1}` }, 'greeter listening on');
    await startTs(
      'examples/greeter/main.ts',
      { MESHRPC_LISTEN_ADDR: `127.0.0.1:${p2}`, MESHRPC_CLUSTER_NODES: `127.0.0.1:${p1}` },
      'greeter listening on',
    );
    const caller = await run('examples/greeter/caller.ts', ['Max'], { MESHRPC_CLUSTER_NODES: `127.0.0.1:${p2}` });
    expect(caller.code).toBe(0);
    expect(caller.out).toContain('Hello, Max');
    expect(caller.out).toContain("recipient: 'World'");
    expect(await a.stop()).toBe(0);
  });
});
