/**
 * Child processes for integration tests: start a TypeScript entry point with tsx, wait for its
 * READY line, and make sure every process a test started is gone when the test ends (killed by
 * its own pid, never by name).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Started {
  proc: ChildProcess;
  /** Fields after READY on the ready line. */
  ready: string[];
  output(): string;
  /** SIGTERM and wait for exit (graceful). */
  stop(): Promise<number | null>;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Start `entry` and resolve once a line starting with `readyPrefix` appears (its other words become `ready`). */
export function startTs(entry: string, env: Record<string, string | undefined>, readyPrefix = 'READY', readyTimeout = 15_000): Promise<Started> {
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => {
    live.delete(proc);
    resolve(code);
  }));
  const started: Started = {
    proc,
    ready: [],
    output: () => out,
    stop: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${entry} not ready after ${readyTimeout} ms:\n${out}`));
    }, readyTimeout);
    const onData = () => {
      const line = out.split('\n').find((l) => l.startsWith(readyPrefix));
      if (!line) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      started.ready = line.slice(readyPrefix.length).trim().split(' ');
      resolve(started);
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before ready:\n${out}`));
    });
  });
}

/** Kill whatever a test left running. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...live].map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGKILL');
        }),
    ),
  );
}

export const PROBE = 'test/fixtures/mesh/node.ts';

export function startProbe(env: Record<string, string | undefined> = {}): Promise<Started> {
  return startTs(PROBE, env);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
