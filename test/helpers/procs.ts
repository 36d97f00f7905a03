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
  return startCommand(process.execPath, ['--import', 'tsx', entry], { env, readyPrefix, readyTimeout });
}

export interface StartOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  readyPrefix?: string;
  readyTimeout?: number;
  /**
   * Run it in a process group of its own and signal the whole group: for launchers such as npx,
   * which do not pass SIGTERM on to the program they started.
   */
  group?: boolean;
}

const grouped = new WeakSet<ChildProcess>();

/** Signal a started process, or its whole group when it was started with `group`. */
function signal(proc: ChildProcess, sig: NodeJS.Signals): void {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  if (grouped.has(proc) && proc.pid !== undefined) {
    try {
      process.kill(-proc.pid, sig);
    } catch {
      // The group is already gone.
    }
  } else proc.kill(sig);
}

/** Start any command the same way: resolve on its ready line, reject if it exits or times out first. */
export function startCommand(command: string, args: readonly string[], options: StartOptions = {}): Promise<Started> {
  const { cwd = repoRoot, env = {}, readyPrefix = 'READY', readyTimeout = 15_000, group = false } = options;
  const entry = [command, ...args].join(' ');
  const proc = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  });
  if (group) grouped.add(proc);
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
      signal(proc, 'SIGTERM');
      return exited;
    },
    kill: async () => {
      signal(proc, 'SIGKILL');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal(proc, 'SIGKILL');
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
          signal(p, 'SIGKILL');
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
