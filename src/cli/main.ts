/**
 * The `meshrpc` command line. Each subcommand lives in its own file and is listed in COMMANDS as
 * a registrar that adds it to the program; adding one means writing its file and one line here.
 */
import type { Command as CommandType } from 'commander';
import { Command } from 'commander';
import { certsCommand } from './certs.js';
import { exposeCommand } from './expose.js';
import { registerGatewayCommand } from './gateway.js';
import { processIO, type CliIO } from './io.js';

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
  const program = new Command('meshrpc').description('meshrpc: typed services on a service mesh').showHelpAfterError();
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/** Run the CLI with process-style argv (node, script, ...args); resolves to the exit code. */
export async function main(argv: readonly string[] = process.argv, io: CliIO = processIO()): Promise<number> {
  let code = 0;
  const program = buildProgram({ io, setExitCode: (c) => (code = c) });
  program.exitOverride();
  program.configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    if (typeof e.exitCode === 'number') return e.exitCode;
    io.err(`meshrpc: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
  return code;
}
