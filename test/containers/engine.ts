/**
 * The container engine the container tests drive: podman (deploy/podman-setup.sh installs it), its
 * Docker-compatible API socket for docker-compose, and the project's images built on the local base.
 * A machine without a working engine skips these tests with the reason printed, except in CI
 * (CI=true or MESHRPC_REQUIRE_BROKERS=1), where the same reason fails them.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireBrokers } from '../helpers/brokers.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** The base image deploy/podman-setup.sh builds (node and npm of this machine, a `node` user). */
export const NODE_BASE = 'localhost/meshrpc-node:bookworm';
export const DEBIAN_BASE = 'localhost/meshrpc-debian:bookworm';
/** The images global-setup.ts builds for the stories. */
export const IMAGES = {
  gateway: 'localhost/meshrpc/mesh-api:test',
  greeter: 'localhost/meshrpc/greeter:test',
  nats: 'localhost/meshrpc/nats-server:test',
};

export interface RunResult { stdout: string; stderr: string }

/** Run a command with a bound on its time; reject with its stderr when it fails. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20, env: opts.env ?? process.env, cwd: opts.cwd ?? REPO }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as { killed?: boolean }).killed ? `timed out after ${timeoutMs} ms` : `failed (${err.message.split('\n', 1)[0]})`;
        reject(new Error(`${cmd} ${args.join(' ')} ${why}\n${stderr.slice(-2000)}`));
      } else resolve({ stdout, stderr });
    });
  });
}

export const podman = (args: string[], timeoutMs?: number) => run('podman', args, { timeoutMs });

function inCI(): boolean {
  return requireBrokers() || process.env.CI === 'true' || process.env.CI === '1';
}

/** Why containers cannot run here, or undefined when they can. */
async function whyNot(): Promise<string | undefined> {
  try {
    await run('podman', ['--version'], { timeoutMs: 10_000 });
  } catch {
    return 'podman is not installed (deploy/podman-setup.sh installs it)';
  }
  try {
    await run('docker-compose', ['version', '--short'], { timeoutMs: 20_000 });
  } catch {
    return 'docker-compose is not installed (deploy/podman-setup.sh installs it)';
  }
  for (const image of [NODE_BASE, DEBIAN_BASE]) {
    try {
      await podman(['image', 'exists', image], 20_000);
    } catch {
      return `the base image ${image} is missing (deploy/podman-setup.sh builds it)`;
    }
  }
  try {
    await podman(['run', '--rm', '--network', 'none', DEBIAN_BASE, 'true'], 60_000);
  } catch (err) {
    return `podman cannot run a container: ${(err as Error).message.slice(0, 600)}`;
  }
  return undefined;
}

/** True when the container tests can run; throws in CI when they cannot, else prints why they skip. */
export async function containerEngine(): Promise<boolean> {
  const reason = await whyNot();
  if (!reason) return true;
  if (inCI()) throw new Error(`${reason}; in CI (CI=true or MESHRPC_REQUIRE_BROKERS=1) that fails the container tests`);
  console.warn(`[skipped] container tests: ${reason}`);
  return false;
}

/** podman's Docker-compatible API on a private socket, for docker-compose; stop() ends it by its PID. */
export class PodmanService {
  readonly dir = mkdtempSync(join(tmpdir(), 'meshrpc-podman-'));
  readonly socket = join(this.dir, 'podman.sock');
  #child?: ChildProcess;

  async start(): Promise<void> {
    this.#child = spawn('podman', ['system', 'service', '--time=0', `unix://${this.socket}`], { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    while (!existsSync(this.socket)) {
      if (this.#child.exitCode !== null) throw new Error(`podman system service exited with ${this.#child.exitCode}`);
      if (Date.now() > deadline) throw new Error('podman system service opened no socket within 15 s');
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `check` every `everyMs` until it returns a value, for at most `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

/**
 * Build one of deploy/Dockerfile's images on the local base. --format docker keeps the HEALTHCHECK.
 */
export async function buildImage(tag: string, entry: string, dockerfile = 'deploy/Dockerfile'): Promise<void> {
  await run('podman', ['build', '--quiet', '--format', 'docker', '--ignorefile', 'deploy/Dockerfile.dockerignore',
    '--build-arg', `NODE_IMAGE=${NODE_BASE}`, '--build-arg', `ENTRY=${entry}`, '-f', dockerfile, '-t', tag, '.'], { timeoutMs: 420_000 });
}
