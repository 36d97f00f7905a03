/**
 * Child processes for gateway tests (own copy, so the gateway suite does not depend on another
 * suite's helper): start a TypeScript entry with tsx, wait for its READY line, and kill exactly
 * the processes started here, by pid, when a suite ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Proc {
  proc: ChildProcess;
  /** Words after READY on the ready line. */
  ready: string[];
  output(): string;
  /** SIGTERM, wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL, wait for exit. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const live = new Set<ChildProcess>();

export function startTs(entry: string, env: Record<string, string | undefined> = {}, readyTimeout = 20_000): Promise<Proc> {
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      live.delete(proc);
      resolve(code);
    }),
  );
  const signal = (sig: NodeJS.Signals) => async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
    await exited;
  };
  const p: Proc = { proc, ready: [], output: () => out, stop: signal('SIGTERM'), kill: signal('SIGKILL'), exited };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${entry} not ready after ${readyTimeout} ms:\n${out}`));
    }, readyTimeout);
    const onData = () => {
      const line = out.split('\n').find((l) => l.startsWith('READY '));
      if (!line) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      p.ready = line.slice(6).trim().split(' ');
      resolve(p);
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before ready:\n${out}`));
    });
  });
}

/** SIGKILL every process this module started that is still running, and wait for them. */
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
