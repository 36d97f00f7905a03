/**
 * The `meshrpc` command line. Each subcommand lives in its own file and is listed in COMMANDS as
 * a registrar that adds it to the program; adding one means writing its file and one line here.
 *
 * Conventions every command follows (see errors.ts): `--version`; `--help` shows defaults; a
 * usage error is one line on stderr and exit 2; a failure while running is one line and exit 1.
 */
import type { Command as CommandType, CommanderError } from 'commander';
import { Command } from 'commander';
import { certsCommand } from './certs.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
import { exposeCommand } from './expose.js';
import { registerGatewayCommand } from './gateway.js';
import { processIO, type CliIO } from './io.js';
import { packageVersion } from './version.js';

export interface CommandContext {
  io: CliIO;
  /** Commands report their exit code here instead of calling process.exit. */
  setExitCode(code: number): void;
}

export type CommandRegistrar = (program: CommandType, ctx: CommandContext) => void;

export const COMMANDS: CommandRegistrar[] = [
  (program, ctx) => program.addCommand(exposeCommand(ctx.io, ctx.setExitCode)),
  (program) => registerGatewayCommand(program),
  (program, ctx) => program.addCommand(certsCommand(ctx.io, ctx.setExitCode)),
];

export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('meshrpc')
    .description('meshrpc: typed services on a service mesh')
    .version(packageVersion() ?? 'unknown', '-V, --version', 'print the meshrpc version');
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/** Commander's messages ("error: unknown option '--x'\n(Did you mean --y?)") as one line. */
function usageLine(command: CommandType, message: string): string {
  const text = message
    .trim()
    .replace(/^error: /, '')
    .replace(/ is invalid\. /, ' is invalid: ') // commander's "argument 'x' is invalid. <our reason>"
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  return `${commandPath(command)}: ${text} (see ${commandPath(command)} --help)`;
}

function commandPath(command: CommandType): string {
  const names: string[] = [];
  for (let c: CommandType | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Every command, also those added with addCommand (which inherit nothing), fails the same way. */
function applyConventions(command: CommandType, io: CliIO): void {
  command.exitOverride();
  command.configureOutput({
    writeOut: (s) => io.out(s.trimEnd()),
    writeErr: (s) => io.err(s.trimEnd()),
    outputError: (s, write) => write(usageLine(command, s)),
  });
  for (const sub of command.commands) applyConventions(sub, io);
}

/** Run the CLI with process-style argv (node, script, ...args); resolves to the exit code. */
export async function main(argv: readonly string[] = process.argv, io: CliIO = processIO()): Promise<number> {
  let code = 0;
  const program = buildProgram({ io, setExitCode: (c) => (code = c) });
  applyConventions(program, io);
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    return exitCodeOf(err, io);
  }
  return code;
}

/** The exit code for what a command threw, after saying what went wrong in one line. */
function exitCodeOf(err: unknown, io: CliIO): number {
  const commander = err as Partial<CommanderError>;
  if (commander.code === 'commander.helpDisplayed' || commander.code === 'commander.version') return 0;
  // Help shown because something was missing (`meshrpc` alone) is a usage error; `help` is not.
  if (commander.code === 'commander.help') return commander.exitCode === 0 ? 0 : EXIT_USAGE;
  // Commander has already printed its one line (outputError above).
  if (typeof commander.code === 'string' && commander.code.startsWith('commander.')) return EXIT_USAGE;
  if (err instanceof CliError) {
    io.err(err.message);
    return err.exitCode;
  }
  // A coded error (a system error, a MeshError) is a failure to report, not a bug to debug.
  const coded = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && typeof coded === 'string') {
    io.err(`meshrpc: ${err.message}`);
    return EXIT_FAILURE;
  }
  io.err(`meshrpc: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return EXIT_FAILURE;
}
