/**
 * The metrics endpoint a node starts when MESHRPC_METRICS_ADDR is set: plain node:http (no
 * framework to load into every service process), one per process whatever the number of nodes.
 *
 *   GET /metrics  Prometheus text: every live node of the process (meshRegistry), plus
 *                 prom-client's default registry (your own metrics, collectDefaultMetrics())
 *   GET /healthz  200 while the process serves (liveness)
 *   GET /readyz   200 while at least one node is open and none is closing; 503 otherwise
 *
 * The address is "host:port" or ":port" (host 127.0.0.1: metrics stay on the machine unless you
 * name another interface; there is no authentication, so expose it only where scrapers live).
 */
import { createServer, type Server } from 'node:http';
import { register as defaultRegister, Registry } from 'prom-client';
import { formatHostPort, parseHostPort } from '../mesh/config.js';
import { meshRegistry } from './families.js';

export { METRICS_ADDR_ENV } from './node.js';

export interface MetricsServer {
  /** The bound address, "host:port". */
  readonly address: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  /** Ready means this says so (the process's nodes: open, none closing). Default: always. */
  ready?: () => boolean;
  /** Registries to serve. Default: the nodes' registry and prom-client's default one. */
  registries?: Registry[];
}

/** Listen on `address` ("host:port", ":port"; port 0 picks one) and serve /metrics, /healthz, /readyz. */
export async function startMetricsServer(address: string, options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const { host, port } = parseHostPort(address, '127.0.0.1', 9464);
  const registries = options.registries ?? [meshRegistry, defaultRegister];
  const ready = options.ready ?? (() => true);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      const merged = Registry.merge(registries);
      merged.metrics().then(
        (text) => res.writeHead(200, { 'content-type': merged.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
    } else if (path === '/healthz') {
      json(res, 200, { status: 'ok', uptime: Math.round(process.uptime()) });
    } else if (path === '/readyz') {
      const ok = ready();
      json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready' });
    } else {
      json(res, 404, { status: 'not found', paths: ['/metrics', '/healthz', '/readyz'] });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref(); // the nodes keep the process alive, not their metrics
  const bound = server.address();
  return {
    address: formatHostPort({ host, port: typeof bound === 'object' && bound ? bound.port : port }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: import('node:http').ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
