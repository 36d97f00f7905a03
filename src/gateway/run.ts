/**
 * Running a gateway process: settings from flags and the environment, a mesh node from
 * createMesh (the built-in mesh, which other nodes can join through, or NATS-as-mesh when
 * MESHRPC_TRANSPORT is a nats:// URL), the HTTP server, and a graceful stop. The `meshrpc gateway`
 * command and examples/mesh-api both start here.
 *
 * Environment: APP_HTTP_PORT (HTTP port, or host:port), MESHRPC_TRANSPORT (engine), MESHRPC_LISTEN_ADDR (mesh address), MESHRPC_CLUSTER_NODES
 * (seeds), MESHRPC_CLUSTER_TAGNAME (cluster tags), MESHRPC_GATEWAY_REQUIRE (services /readyz waits
 * for), MESHRPC_GATEWAY_TOKENS (accepted API keys / bearer tokens; auth is on when set),
 * MESHRPC_GATEWAY_CORS ("*" or a list of origins).
 */
import type { MeshNode } from '../core/node.js';
import { DEFAULT_PORT, splitList } from '../mesh/config.js';
import { createMesh } from '../transports/select.js';
import { startTelemetryFromEnv } from '../observability/sdk.js';
import { createGateway, DEFAULT_HTTP_PORT, type Gateway, type GatewayOptions } from './gateway.js';

export interface GatewayConfig {
  /** HTTP address. */
  listen: string;
  /** Mesh address other nodes join through. */
  mesh: string;
  nodes: string[];
  tags: string[];
  require: string[];
  tokens: string[];
  /** CORS origins ('*' for any); empty for no CORS. */
  cors: string[];
  /** Node name on the mesh. */
  name: string;
  /** The engine: "mesh" or nats:// URLs (MESHRPC_TRANSPORT); undefined for the built-in mesh. */
  transport?: string;
}

export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return {
    // APP_HTTP_PORT is a port (all interfaces) or host:port.
    listen: env.APP_HTTP_PORT ? (env.APP_HTTP_PORT.includes(':') ? env.APP_HTTP_PORT : `0.0.0.0:${env.APP_HTTP_PORT}`) : `0.0.0.0:${DEFAULT_HTTP_PORT}`,
    mesh: env.MESHRPC_LISTEN_ADDR || `0.0.0.0:${DEFAULT_PORT}`,
    nodes: splitList(env.MESHRPC_CLUSTER_NODES),
    tags: splitList(env.MESHRPC_CLUSTER_TAGNAME),
    require: splitList(env.MESHRPC_GATEWAY_REQUIRE),
    tokens: splitList(env.MESHRPC_GATEWAY_TOKENS),
    cors: splitList(env.MESHRPC_GATEWAY_CORS),
    name: 'gateway',
    transport: env.MESHRPC_TRANSPORT,
  };
}

export interface RunningGateway {
  gateway: Gateway;
  mesh: MeshNode;
  /** Bound HTTP address, e.g. "0.0.0.0:8282". */
  httpAddress: string;
  /** Bound mesh address (for NATS-as-mesh: the NATS server it is connected to). */
  meshAddress: string;
  /** Close HTTP first (no new requests), then leave the mesh gracefully. */
  close(): Promise<void>;
}

/**
 * Start a gateway process's parts. `setup` runs before listening: add your own routes there
 * (`gateway.app.get(...)`) and build typed clients on `gateway.node`.
 */
export async function startGateway(
  config: GatewayConfig,
  options: GatewayOptions & { setup?: (gateway: Gateway) => void | Promise<void> } = {},
): Promise<RunningGateway> {
  // The SDK first, when OTEL_* asks for traces: nodes made after it trace their calls.
  const telemetry = await startTelemetryFromEnv({ serviceName: config.name });
  // `transport: 'mesh'` when unset: the config, not this process's environment, decides.
  const mesh = await createMesh({ name: config.name, nodes: config.nodes, tags: config.tags, transport: config.transport ?? 'mesh' });
  const { setup, ...gatewayOptions } = options;
  const gateway = createGateway(mesh, {
    require: config.require,
    auth: config.tokens.length > 0 ? { tokens: config.tokens } : false,
    cors: config.cors.length === 0 ? false : config.cors.includes('*') ? true : { origin: config.cors },
    ...gatewayOptions,
  });
  await setup?.(gateway);
  try {
    await mesh.listen(config.mesh);
    const httpAddress = await gateway.listen(config.listen);
    return {
      gateway,
      mesh,
      httpAddress,
      meshAddress: mesh.address ?? config.mesh,
      async close() {
        await gateway.close();
        await mesh.close();
        await telemetry?.shutdown();
      },
    };
  } catch (err) {
    await gateway.close().catch(() => {});
    await mesh.close().catch(() => {});
    await telemetry?.shutdown().catch(() => {});
    throw err;
  }
}

/** SIGINT/SIGTERM stop the gateway gracefully; a second signal exits at once. */
export function stopOnSignals(running: RunningGateway, onStopped: () => void = () => process.exit(0)): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      running.close().then(onStopped, () => process.exit(1));
    });
  }
}
