/**
 * Command-line conventions of `meshrpc`, run as a real process (`node bin/meshrpc.js`) the way a
 * user runs it: --version from package.json, usage errors as one line with exit 2, defaults in
 * --help, a taken port as one line naming the address (exit 1), an `expose --check` hint that
 * repeats every flag (and works when run), and problems in a file outside the project root that
 * still name the file.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/cli/version.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(repo, 'bin/meshrpc.js');
const version = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI to its end (bounded); never rejects: the exit code is part of the result. */
function meshrpc(args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, timeout: 60_000, env: { ...process.env, MESHRPC_TRANSPORT: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l.length > 0);

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'meshrpc-cli-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('meshrpc --version', () => {
  it("prints meshrpc's package.json version, whatever the working directory", async () => {
    for (const flag of ['--version', '-V']) {
      const r = await meshrpc([flag], scratch);
      expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('finds package.json from a compiled dist/cli/ inside an installed package', () => {
    const pkg = path.join(scratch, 'node_modules', 'meshrpc');
    mkdirSync(path.join(pkg, 'dist', 'cli'), { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'meshrpc', version: '9.8.7' }));
    // A package.json on the way up that is not meshrpc's (e.g. {"type":"module"}) is passed over.
    writeFileSync(path.join(pkg, 'dist', 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'my-app', version: '1.0.0' }));
    expect(packageVersion(pathToFileURL(path.join(pkg, 'dist', 'cli', 'main.js')))).toBe('9.8.7');
    expect(packageVersion(pathToFileURL(path.join(scratch, 'elsewhere.js')))).toBeUndefined();
    rmSync(path.join(scratch, 'package.json'));
  });
});

describe('usage errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown flag', ['--bogus'], /^meshrpc: unknown option '--bogus' \(see meshrpc --help\)$/],
    ['an unknown flag of a command', ['gateway', '--listne', '127.0.0.1:0'], /^meshrpc gateway: unknown option '--listne' \(Did you mean --listen\?\)/],
    ['a non-number for a numeric flag', ['gateway', '--timeout', 'soon'], /^meshrpc gateway: option '--timeout <ms>' argument 'soon' is invalid: expected a whole number of milliseconds/],
    ['a bad address', ['gateway', '--listen', '127.0.0.1:http'], /^meshrpc gateway: option '-l, --listen <addr>' argument '127.0.0.1:http' is invalid/],
    ['a missing argument', ['expose'], /^meshrpc expose: missing required argument 'target'/],
  ];
  it.each(cases)('%s: one line on stderr, no stack trace, exit 2', async (_what, args, message) => {
    const r = await meshrpc(args, scratch);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(lines(r.stderr)[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('--help', () => {
  it('shows the defaults and environment variables of the gateway flags', async () => {
    const r = await meshrpc(['gateway', '--help'], scratch);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--listen <addr> HTTP address, host:port or a port (default: "0.0.0.0:8282", env: APP_HTTP_PORT)');
    expect(help).toContain('(default: "0.0.0.0:11999", env: MESHRPC_LISTEN_ADDR)');
    expect(help).toContain('--body-limit <bytes> largest RPC request body (default: 1048576)');
    expect(help).toContain('x-request-timeout (default: 30000)');
    expect(help).toContain('(default: none, env: MESHRPC_CLUSTER_NODES)');
  });
});

describe('a start failure', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => taken.close(() => r())));

  it('a taken HTTP port is one line naming the address and what to do, exit 1', async () => {
    const r = await meshrpc(['gateway', '--listen', `127.0.0.1:${port}`, '--mesh', '127.0.0.1:0'], scratch);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `meshrpc gateway: cannot listen on 127.0.0.1:${port} (HTTP): EADDRINUSE: the address is already in use; stop what listens there or choose another address with --listen (env APP_HTTP_PORT)`,
    ]);
  });

  it('so is a taken mesh port', async () => {
    const r = await meshrpc(['gateway', '--listen', '127.0.0.1:0', '--mesh', `127.0.0.1:${port}`], scratch);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port} (mesh): EADDRINUSE`);
    expect(r.stderr).toContain('--mesh (env MESHRPC_LISTEN_ADDR)');
  });
});

describe('meshrpc expose', () => {
  let project: string;
  beforeAll(() => {
    project = path.join(scratch, 'project');
    mkdirSync(path.join(project, 'src', 'greeter'), { recursive: true });
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'demo', type: 'module' }));
    cpSync(path.join(repo, 'examples/greeter/service.ts'), path.join(project, 'src/greeter/service.ts'));
  });

  it("--check's hint repeats every flag it was given, and running it makes the check pass", async () => {
    const flags = ['--proto', '--out', 'gen', '-P', 'hello', '-M', 'Greeter', '--interface', 'GreeterService', '--runtime', 'meshrpc'];
    const stale = await meshrpc(['expose', '--check', 'src/greeter/service.ts', ...flags], project);
    expect(stale.code).toBe(1);
    const hint = lines(stale.stderr).find((l) => l.startsWith('Regenerate with: '));
    expect(hint).toBe('Regenerate with: meshrpc expose -y src/greeter/service.ts -P hello -M Greeter --interface GreeterService --out gen --proto --runtime meshrpc');

    const regenerate = hint!.slice('Regenerate with: meshrpc '.length).split(' ');
    expect((await meshrpc(regenerate, project)).code).toBe(0);
    const fresh = await meshrpc(['expose', '--check', 'src/greeter/service.ts', ...flags], project);
    expect(fresh).toMatchObject({ code: 0, stderr: '' });
    expect(fresh.stdout).toContain('up to date');
  }, 180_000);

  it('a problem in a source file outside the project root names the file', async () => {
    const elsewhere = path.join(scratch, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(path.join(elsewhere, 'bad.ts'), 'export interface BadService {\n  run(cb: () => void): Promise<void>;\n}\n');
    const r = await meshrpc(['expose', '-y', '../elsewhere/bad.ts'], project);
    expect(r.code).toBe(1);
    const file = path.join(elsewhere, 'bad.ts').split(path.sep).join('/');
    expect(r.stderr).toContain(`  ${file}:2  BadService.run(cb): function-typed values cannot travel over the wire`);
    expect(r.stderr).toContain('Nothing was written.');
  }, 90_000);
});
