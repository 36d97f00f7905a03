/**
 * `meshrpc gateway`: run the HTTP gateway as a mesh node others can join.
 *
 *   meshrpc gateway [--listen 0.0.0.0:8282] [--mesh 0.0.0.0:11999] [--nodes host:port,...] [--require greeter,...]
 *
 * Flags win over the environment (APP_HTTP_PORT, MESHRPC_LISTEN_ADDR, MESHRPC_CLUSTER_NODES,
 * MESHRPC_CLUSTER_TAGNAME, MESHRPC_GATEWAY_REQUIRE, MESHRPC_GATEWAY_TOKENS, MESHRPC_GATEWAY_CORS,
 * MESHRPC_GATEWAY_TLS_CERT, MESHRPC_GATEWAY_TLS_KEY, MESHRPC_GATEWAY_RATE_LIMIT).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_PORT, splitList } from '../mesh/config.js';
import type { GatewayConfig, RunningGateway } from '../gateway/run.js';
import type { GatewayOptions } from '../gateway/gateway.js';
import { DEFAULT_BODY_LIMIT, DEFAULT_CALL_TIMEOUT, DEFAULT_HTTP_PORT } from '../gateway/defaults.js';
import { address, CliError, EXIT_USAGE, listenFailure, wholeNumber } from './errors.js';
import { described } from './help.js';

export interface GatewayCommandFlags {
  listen?: string;
  mesh?: string;
  nodes?: string;
  tags?: string;
  require?: string;
  token?: string[];
  cors?: string;
  bodyLimit?: number;
  timeout?: number;
  accessLog?: boolean;
  httpsCert?: string;
  httpsKey?: string;
  rateLimit?: number;
}

/**
 * Settings for a run from flags over the environment. The gateway (Fastify) loads here, not
 * when the command line starts, so --help and usage errors answer at once.
 */
export async function gatewayConfigFromFlags(flags: GatewayCommandFlags, env: NodeJS.ProcessEnv = process.env): Promise<{ config: GatewayConfig; options: GatewayOptions }> {
  const { gatewayConfigFromEnv } = await import('../gateway/run.js');
  const config = gatewayConfigFromEnv(env);
  if (flags.listen) config.listen = /^\d+$/.test(flags.listen) ? `0.0.0.0:${flags.listen}` : flags.listen;
  if (flags.mesh) config.mesh = flags.mesh;
  if (flags.nodes !== undefined) config.nodes = splitList(flags.nodes);
  if (flags.tags !== undefined) config.tags = splitList(flags.tags);
  if (flags.require !== undefined) config.require = splitList(flags.require);
  if (flags.token?.length) config.tokens = flags.token.flatMap((t) => splitList(t));
  if (flags.cors !== undefined) config.cors = splitList(flags.cors);
  const options: GatewayOptions = {};
  if (flags.bodyLimit !== undefined) options.bodyLimit = flags.bodyLimit;
  if (flags.timeout !== undefined) options.callTimeout = flags.timeout;
  if (flags.accessLog === false) options.accessLog = false;
  const cert = flags.httpsCert ?? env.MESHRPC_GATEWAY_TLS_CERT;
  const key = flags.httpsKey ?? env.MESHRPC_GATEWAY_TLS_KEY;
  if (cert || key) {
    if (!cert || !key) throw new CliError('meshrpc gateway: HTTPS needs both --https-cert and --https-key (env MESHRPC_GATEWAY_TLS_CERT, MESHRPC_GATEWAY_TLS_KEY)', EXIT_USAGE);
    options.https = { cert: readPem(cert), key: readPem(key) };
  }
  const perMinute = flags.rateLimit ?? (env.MESHRPC_GATEWAY_RATE_LIMIT ? wholeNumber('requests')(env.MESHRPC_GATEWAY_RATE_LIMIT) : undefined);
  if (perMinute) options.rateLimit = { max: perMinute, timeWindow: 60_000 };
  return { config, options };
}

function readPem(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`meshrpc gateway: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Run a gateway until SIGINT/SIGTERM; prints one line with both addresses once it serves. An
 * address it cannot listen on fails as one line naming the address and what to do.
 */
export async function runGateway(flags: GatewayCommandFlags, print: (line: string) => void = console.log): Promise<RunningGateway> {
  const { config, options } = await gatewayConfigFromFlags(flags);
  const { startGateway, stopOnSignals } = await import('../gateway/run.js');
  let running: RunningGateway;
  try {
    running = await startGateway(config, options);
  } catch (err) {
    throw (
      listenFailure('meshrpc gateway', err, [
        { what: 'HTTP', address: config.listen, flag: '--listen (env APP_HTTP_PORT)' },
        { what: 'mesh', address: config.mesh, flag: '--mesh (env MESHRPC_LISTEN_ADDR)' },
      ]) ?? err
    );
  }
  print(`meshrpc gateway: http ${running.httpAddress}, mesh ${running.meshAddress}${config.require.length ? `, requires ${config.require.join(',')}` : ''}`);
  stopOnSignals(running);
  return running;
}

/** `onStarted` sees the running gateway (tests print their READY line from it). */
export function registerGatewayCommand(program: Command, hooks: { onStarted?: (running: RunningGateway) => void } = {}): Command {
  return program
    .command('gateway')
    .description('run the HTTP API gateway: every mesh method as POST /<service>/<method>, published HTTP handlers, health, metrics, OpenAPI')
    .option('-l, --listen <addr>', described('HTTP address, host:port or a port', `0.0.0.0:${DEFAULT_HTTP_PORT}`, 'APP_HTTP_PORT'), address)
    .option('-m, --mesh <addr>', described('mesh address other nodes join through', `0.0.0.0:${DEFAULT_PORT}`, 'MESHRPC_LISTEN_ADDR'), address)
    .option('-N, --nodes <list>', described('seed nodes host:port,...', null, 'MESHRPC_CLUSTER_NODES'))
    .option('-t, --tags <list>', described('cluster tags', null, 'MESHRPC_CLUSTER_TAGNAME'))
    .option('-r, --require <list>', described('services /readyz waits for', null, 'MESHRPC_GATEWAY_REQUIRE'))
    .option('--token <token...>', described('require this API key / bearer token', null, 'MESHRPC_GATEWAY_TOKENS'))
    .option('--cors <origins>', described("allow CORS from these origins ('*' for any)", null, 'MESHRPC_GATEWAY_CORS'))
    .option('--body-limit <bytes>', described('largest RPC request body', DEFAULT_BODY_LIMIT), wholeNumber('bytes'))
    .option('--timeout <ms>', described('deadline of calls whose request sets no x-request-timeout', DEFAULT_CALL_TIMEOUT), wholeNumber('milliseconds'))
    .option('--no-access-log', 'no log line per request (default: one per request)')
    .option('--https-cert <file>', described('serve HTTPS with this PEM certificate', null, 'MESHRPC_GATEWAY_TLS_CERT'))
    .option('--https-key <file>', described('the PEM key of --https-cert', null, 'MESHRPC_GATEWAY_TLS_KEY'))
    .option('--rate-limit <n>', described('requests per minute per client IP, 429 beyond (operations routes exempt)', null, 'MESHRPC_GATEWAY_RATE_LIMIT'), wholeNumber('requests'))
    .action(async (flags: GatewayCommandFlags) => {
      const running = await runGateway(flags);
      hooks.onStarted?.(running);
    });
}
