/**
 * Start a benchmark server process, wait for its READY line, stop it and read its peak RSS.
 * Servers are bundled with esbuild and run on plain node, as a deployed service would run:
 * the tsx loader alone adds tens of MiB of RSS and would distort the memory figure. esbuild reads
 * tsconfig.json's paths, so `meshrpc` imports resolve to src/ as they do under tsx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface BenchServer {
  address: string;
  proc: ChildProcess;
  /** SIGTERM; resolves with the peak RSS (bytes) the server printed, or NaN. */
  stop(): Promise<number>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

const built = new Map<string, string>();

/** Bundle an entry point (packages stay external, resolved from node_modules) into bench/.build/. */
export async function bundle(entry: string): Promise<string> {
  let out = built.get(entry);
  if (out) return out;
  const dir = fileURLToPath(new URL('../.build/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  out = `${dir}${basename(entry, '.ts')}.mjs`;
  await build({
    entryPoints: [`${root}${entry}`],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  built.set(entry, out);
  return out;
}

export async function startServer(entry: string, args: string[], env: Record<string, string> = {}): Promise<BenchServer> {
  const file = await bundle(entry);
  const proc = spawn(process.execPath, [file, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return new Promise<BenchServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${entry} not ready:\n${out}`));
    }, 20_000);
    proc.stdout!.on('data', function onData() {
      const line = out.split('\n').find((l) => l.startsWith('READY '));
      if (!line) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      resolve({
        address: line.split(' ')[1].trim(),
        proc,
        stop: async () => {
          proc.kill('SIGTERM');
          const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
          const m = /PEAK_RSS (\d+)/.exec(out);
          return m ? Number(m[1]) : NaN;
        },
      });
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}:\n${out}`));
    });
  });
}
