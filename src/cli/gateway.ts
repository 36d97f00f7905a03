/**
 * `meshrpc gateway`: run the HTTP gateway as a mesh node others can join.
 *
 *   meshrpc gateway [--listen 0.0.0.0:8282] [--mesh 0.0.0.0:11999] [--nodes host:port,...] [--require greeter,...]
 *
 * Flags win over the environment (APP_HTTP_PORT, MESHRPC_LISTEN_ADDR, MESHRPC_CLUSTER_NODES,
 * MESHRPC_CLUSTER_TAGNAME, MESHRPC_GATEWAY_REQUIRE, MESHRPC_GATEWAY_TOKENS, MESHRPC_GATEWAY_CORS).
 */
import type { Command } from 'commander';
import { splitList } from '../mesh/config.js';
import { gatewayConfigFromEnv, startGateway, stopOnSignals, type RunningGateway } from '../gateway/run.js';
import type { GatewayOptions } from '../gateway/gateway.js';

export interface GatewayCommandFlags {
  listen?: string;
  mesh?: string;
  nodes?: string;
  tags?: string;
  require?: string;
  token?: string[];
  cors?: string;
  bodyLimit?: string;
  timeout?: string;
  accessLog?: boolean;
}

/** Settings for a run from flags over the environment. */
export function gatewayConfigFromFlags(flags: GatewayCommandFlags, env: NodeJS.ProcessEnv = process.env) {
  const config = gatewayConfigFromEnv(env);
  if (flags.listen) config.listen = /^\d+$/.test(flags.listen) ? `0.0.0.0:${flags.listen}` : flags.listen;
  if (flags.mesh) config.mesh = flags.mesh;
  if (flags.nodes !== undefined) config.nodes = splitList(flags.nodes);
  if (flags.tags !== undefined) config.tags = splitList(flags.tags);
  if (flags.require !== undefined) config.require = splitList(flags.require);
  if (flags.token?.length) config.tokens = flags.token.flatMap((t) => splitList(t));
  if (flags.cors !== undefined) config.cors = splitList(flags.cors);
  const options: GatewayOptions = {};
  if (flags.bodyLimit) options.bodyLimit = Number(flags.bodyLimit);
  if (flags.timeout) options.callTimeout = Number(flags.timeout);
  if (flags.accessLog === false) options.accessLog = false;
  return { config, options };
}

/** Run a gateway until SIGINT/SIGTERM; prints one line with both addresses once it serves. */
export async function runGateway(flags: GatewayCommandFlags, print: (line: string) => void = console.log): Promise<RunningGateway> {
  const { config, options } = gatewayConfigFromFlags(flags);
  const running = await startGateway(config, options);
  print(`meshrpc gateway: http ${running.httpAddress}, mesh ${running.meshAddress}${config.require.length ? `, requires ${config.require.join(',')}` : ''}`);
  stopOnSignals(running);
  return running;
}

/** `onStarted` sees the running gateway (tests print their READY line from it). */
export function registerGatewayCommand(program: Command, hooks: { onStarted?: (running: RunningGateway) => void } = {}): Command {
  return program
    .command('gateway')
    .description('run the HTTP API gateway: every mesh method as POST /<service>/<method>, published HTTP handlers, health, metrics, OpenAPI')
    .option('-l, --listen <addr>', 'HTTP address (env APP_HTTP_PORT)', undefined)
    .option('-m, --mesh <addr>', 'mesh address other nodes join through (env MESHRPC_LISTEN_ADDR)', undefined)
    .option('-N, --nodes <list>', 'seed nodes host:port,... (env MESHRPC_CLUSTER_NODES)')
    .option('-t, --tags <list>', 'cluster tags (env MESHRPC_CLUSTER_TAGNAME)')
    .option('-r, --require <list>', 'services /readyz waits for (env MESHRPC_GATEWAY_REQUIRE)')
    .option('--token <token...>', 'require this API key / bearer token (env MESHRPC_GATEWAY_TOKENS)')
    .option('--cors <origins>', "allow CORS from these origins ('*' for any) (env MESHRPC_GATEWAY_CORS)")
    .option('--body-limit <bytes>', 'largest RPC request body', undefined)
    .option('--timeout <ms>', 'deadline of calls whose request sets no x-request-timeout', undefined)
    .option('--no-access-log', 'no log line per request')
    .action(async (flags: GatewayCommandFlags) => {
      const running = await runGateway(flags);
      hooks.onStarted?.(running);
    });
}
