/**
 * Mesh settings from options and the environment (MESHRPC_* variables), and address parsing.
 * Options given in code win over the environment.
 */
import { Failures } from '../core/failures.js';

export const DEFAULT_PORT = 11999;

export interface HostPort {
  host: string;
  port: number;
}

/** "host:port", "host" (default port), ":port", "port", "[::1]:port". */
export function parseHostPort(value: string, defaultHost = '0.0.0.0', defaultPort = DEFAULT_PORT): HostPort {
  const s = value.trim();
  if (s === '') return { host: defaultHost, port: defaultPort };
  if (/^\d+$/.test(s)) return { host: defaultHost, port: checkPort(Number(s), value) };
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1], port: v6[2] ? checkPort(Number(v6[2]), value) : defaultPort };
  const i = s.lastIndexOf(':');
  if (i === -1) return { host: s, port: defaultPort };
  if (s.indexOf(':') !== i) return { host: s, port: defaultPort }; // bare IPv6
  const host = s.slice(0, i) || defaultHost;
  const portText = s.slice(i + 1);
  if (!/^\d+$/.test(portText)) throw Failures.invalidPort({ address: value });
  return { host, port: checkPort(Number(portText), value) };
}

function checkPort(port: number, value: string): number {
  if (port < 0 || port > 65535) throw Failures.portOutOfRange({ address: value });
  return port;
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A comma (or whitespace) separated list, empty entries dropped. */
export function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(/[\s,]+/) : value;
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}

export function envList(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return splitList(env[name]);
}

/** A non-negative number from the environment, or undefined when unset; anything else is refused by name. */
export function envNumber(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw Failures.invalidEnvNumber({ name, value: raw });
  return n;
}
