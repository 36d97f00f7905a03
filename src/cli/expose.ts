/**
 * `meshrpc expose`: generate the typed client, handler, validators, schemas (and optionally a
 * .proto) for the service interfaces in a file or folder, the way `go generate` did for meshRPC.
 * Shows the plan, asks before writing (or -y), writes all-or-nothing; `--check` only compares.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { GenerateOptions } from '../codegen/generate.js';
import { CodegenError } from '../codegen/model.js';
import { applyPlan, displayPath, makePlan, renderPlan, staleFiles, type PlanFs, realFs } from '../codegen/plan.js';
import type { CliIO } from './io.js';

export interface ExposeFlags {
  root?: string;
  service?: string;
  module?: string;
  interface?: string;
  yes?: boolean;
  check?: boolean;
  out?: string;
  proto?: boolean;
  runtime?: string;
}

/** The nearest folder at or above `from` (a folder, or a file's folder) holding a package.json. */
export function findProjectRoot(from: string): string | undefined {
  const start = existsSync(from) && !statSync(from).isDirectory() ? path.dirname(from) : from;
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The project root when -R does not say: the target's project, else the working directory's
 * (a source outside any project, e.g. `../elsewhere/bad.ts`), else the working directory.
 */
function defaultRoot(absTarget: string, cwd: string): string {
  return (existsSync(absTarget) ? findProjectRoot(absTarget) : undefined) ?? findProjectRoot(cwd) ?? cwd;
}

// The same as meshrpc/codegen's DEFAULT_RUNTIME_MODULE, without loading the generator for --help.
const DEFAULT_RUNTIME = 'meshrpc/runtime';

/** The command that regenerates what --check found stale: the same target and every flag given. */
export function regenerateCommand(target: string, flags: ExposeFlags, cwd: string): string {
  const rel = (p: string) => path.relative(cwd, path.resolve(cwd, p)) || '.';
  const args = ['meshrpc', 'expose', '-y', rel(target)];
  if (flags.root !== undefined) args.push('--root', rel(flags.root));
  if (flags.service !== undefined) args.push('-P', flags.service);
  if (flags.module !== undefined) args.push('-M', flags.module);
  if (flags.interface !== undefined) args.push('--interface', flags.interface);
  if (flags.out !== undefined) args.push('--out', rel(flags.out));
  if (flags.proto) args.push('--proto');
  if (flags.runtime !== undefined && flags.runtime !== DEFAULT_RUNTIME) args.push('--runtime', flags.runtime);
  return args.map(shellWord).join(' ');
}

/** A word as a POSIX shell reads it back: quoted only when it has to be. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Run the command; resolves to the process exit code. */
export async function runExpose(target: string, flags: ExposeFlags, io: CliIO, fs: PlanFs = realFs): Promise<number> {
  const absTarget = path.resolve(io.cwd, target);
  const root = flags.root !== undefined ? path.resolve(io.cwd, flags.root) : defaultRoot(absTarget, io.cwd);
  const options: GenerateOptions = {
    root,
    target: absTarget,
    interfaceName: flags.interface,
    module: flags.module,
    serviceName: flags.service,
    outDir: flags.out !== undefined ? path.resolve(io.cwd, flags.out) : undefined,
    proto: flags.proto,
    runtime: flags.runtime,
  };
  // The compiler (~90 MiB) loads only when a command generates: not for --help or a usage error.
  const { generate } = await import('../codegen/generate.js');
  let files;
  try {
    files = generate(options).files;
  } catch (err) {
    if (err instanceof CodegenError) {
      io.err(err.message);
      if (err.problems.length > 0) io.err('Nothing was written.');
      return 1;
    }
    throw err;
  }
  const plan = makePlan(root, files, fs);

  if (flags.check) {
    const stale = staleFiles(plan);
    if (stale.length === 0) {
      io.out(`meshrpc expose --check: ${files.length} generated file${files.length === 1 ? ' is' : 's are'} up to date.`);
      return 0;
    }
    io.err(`meshrpc expose --check: ${stale.length} generated file${stale.length === 1 ? ' is' : 's are'} stale:`);
    for (const s of stale) io.err(`  ${displayPath(root, s.path)} (${s.exists ? 'differs from what the source generates' : 'missing'})`);
    io.err(`Regenerate with: ${regenerateCommand(target, flags, io.cwd)}`);
    return 1;
  }

  io.out(renderPlan(plan));
  const writes = staleFiles(plan);
  if (writes.length === 0) {
    io.out('Nothing to change: every generated file is up to date.');
    return 0;
  }
  if (!flags.yes) {
    if (!io.interactive) {
      io.err('meshrpc expose: refusing to write without confirmation: no terminal to ask on. Re-run with -y to apply the plan above (or --check to only verify).');
      return 2;
    }
    if (!(await io.confirm('Are you sure to apply these changes? (y/N)'))) {
      io.err('Aborted; nothing was written.');
      return 1;
    }
  }
  try {
    applyPlan(plan, fs);
  } catch (err) {
    io.err(`meshrpc expose: writing failed, nothing was changed: ${(err as Error).message}`);
    return 1;
  }
  io.out(`Wrote ${writes.length} file${writes.length === 1 ? '' : 's'}.`);
  return 0;
}

export function exposeCommand(io: CliIO, setExitCode: (code: number) => void): Command {
  return new Command('expose')
    .description('generate a typed client, handler, validators and schemas for service interfaces')
    .argument('<target>', 'a .ts file or a folder of them')
    .option('-R, --root <dir>', "project root (default: the nearest folder with a package.json above the target, else above the working directory)")
    .option('-P, --service <name>', 'the service name on the mesh (default: from the interface, GreeterService -> greeter)')
    .option('-M, --module <prefix>', 'expose <prefix>Service when a file holds several')
    .option('--interface <Name>', 'expose the interface with exactly this name')
    .option('-y, --yes', 'apply the plan without asking')
    .option('--check', 'write nothing; exit non-zero when a generated file is stale (for CI)')
    .option('--out <dir>', 'write generated files here instead of next to their source')
    .option('--proto', 'also generate a proto3 file')
    .option('--runtime <module>', 'module generated code imports the runtime from', DEFAULT_RUNTIME)
    .action(async (target: string, flags: ExposeFlags) => {
      setExitCode(await runExpose(target, flags, io));
    });
}
