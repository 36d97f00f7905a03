/**
 * How the command line fails: one line on stderr, no stack trace, and an exit code that says
 * whose problem it is: 2 for a usage error (unknown flag, bad value, missing argument: fix the
 * command), 1 for a failure while running (a port in use: fix the environment). Only a bug,
 * an error nobody anticipated, still prints its stack.
 */
import { InvalidArgumentError } from 'commander';
import { parseHostPort } from '../mesh/config.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An error the CLI reports as one line, exiting with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A commander value parser for flags that take a whole, non-negative number (ms, bytes). */
export function wholeNumber(unit: string): (value: string) => number {
  return (value) => {
    const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a whole number of ${unit}`);
    return n;
  };
}

/** A commander value parser for addresses (host:port, :port, a port): checked, kept as typed. */
export function address(value: string): string {
  try {
    parseHostPort(value);
  } catch (err) {
    throw new InvalidArgumentError(`expected host:port or a port (${(err as Error).message})`);
  }
  return value;
}

/** What to do about a listen error, by its system error code. */
const LISTEN_ADVICE: Record<string, (flag: string) => string> = {
  EADDRINUSE: (flag) => `the address is already in use; stop what listens there or choose another address with ${flag}`,
  EACCES: (flag) => `permission denied (ports below 1024 need privileges); choose a port above 1023 with ${flag}`,
  EADDRNOTAVAIL: (flag) => `this machine has no such address; use one of its own addresses, or 0.0.0.0, with ${flag}`,
  ENOTFOUND: (flag) => `the host name does not resolve; use an IP address with ${flag}`,
  EAI_AGAIN: (flag) => `the host name could not be resolved now; use an IP address with ${flag}`,
};

/**
 * A server that could not start listening, as one line naming the address and what to do.
 * `listeners` are the addresses the command tried, each with the flag that sets it.
 */
export function listenFailure(command: string, err: unknown, listeners: readonly { what: string; address: string; flag: string }[]): CliError | undefined {
  const e = err as { code?: unknown; port?: unknown; address?: unknown; syscall?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (!code || !(code in LISTEN_ADVICE || e?.syscall === 'listen')) return undefined;
  // Node's listen error carries the port it tried (getaddrinfo errors carry the host name).
  const port = typeof e?.port === 'number' ? String(e.port) : undefined;
  const host = typeof e?.address === 'string' ? e.address : typeof (e as { hostname?: unknown }).hostname === 'string' ? (e as { hostname: string }).hostname : undefined;
  const which =
    listeners.find((l) => port !== undefined && portOf(l.address) === port) ??
    listeners.find((l) => host !== undefined && l.address.startsWith(host)) ??
    (listeners.length === 1 ? listeners[0] : undefined);
  const address = which?.address ?? (host !== undefined ? (port !== undefined ? `${host}:${port}` : host) : 'its address');
  const advice = LISTEN_ADVICE[code]?.(which?.flag ?? 'a flag') ?? String(e?.message ?? code);
  return new CliError(`${command}: cannot listen on ${address}${which ? ` (${which.what})` : ''}: ${code}: ${advice}`);
}

function portOf(address: string): string | undefined {
  const m = /:(\d+)$/.exec(address);
  return m ? m[1] : undefined;
}
