/**
 * createGateway: an HTTP API over a mesh node, built on Fastify so users add their own routes
 * the Fastify way (`gateway.app.get(...)`), which win over the automatic ones.
 *
 * Routes, from most to least specific (find-my-way: static > parametric > wildcard):
 *   GET  /ping, /__heartbeat__, /healthz, /readyz, /metrics, /openapi.json, /   operations
 *   your own routes                                                              e.g. GET /greeter/greet/:name
 *   POST /<service>/<method>    an RPC method (or, if not one, the service's HTTP handler)
 *   ANY  /<service>, /<service>/*                  the service's published HTTP handler
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { fastify, LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type Logger } from 'pino';
import type { MeshNode } from '../core/node.js';
import { MeshError } from '../core/errors.js';
import { Failures } from '../core/failures.js';
import { formatHostPort, parseHostPort } from '../mesh/config.js';
import { DEFAULT_TIMEOUT } from '../pipeline/outbound.js';
import { errorResponse, sendError } from './errors.js';
import { createForwarder } from './forward.js';
import { guardRequestTargets } from './paths.js';
import { GatewayMetrics } from './metrics.js';
import { traceMixin } from '../observability/log.js';
import { OpenApiBuilder, type OpenApiInfo } from './openapi.js';
import { installAuth, installCors, type AuthOptions, type CorsOptions } from './protect.js';
import { installRateLimit, type RateLimitOptions } from './rate-limit.js';
import { rpcRoute } from './rpc.js';
import { ServiceTable } from './services.js';
import { DEFAULT_BODY_LIMIT, DEFAULT_CALL_TIMEOUT, DEFAULT_HTTP_PORT } from './defaults.js';

export interface GatewayOptions {
  /** Services that must have a live instance for /readyz to answer 200. */
  require?: readonly string[];
  /** Largest JSON body of an RPC call, bytes (413 beyond). Default 1 MiB. */
  bodyLimit?: number;
  /** Largest body forwarded to a published HTTP handler, bytes. Default 64 MiB. */
  handlerBodyLimit?: number;
  /** Deadline of a mesh call whose request sets no `x-request-timeout`, ms. Default 30 s. */
  callTimeout?: number;
  /** The longest deadline a request may ask for, ms. Default: the larger of callTimeout and 60 s. */
  maxCallTimeout?: number;
  /** Time to receive a request's headers, ms. Default 10 s. */
  headersTimeout?: number;
  /** Time to receive a whole request (headers and body), ms. Default 60 s. */
  requestTimeout?: number;
  /** Idle keep-alive connections close after this, ms. Default 72 s. */
  keepAliveTimeout?: number;
  /** Require an API key / bearer token (401 without). Off by default. */
  auth?: AuthOptions | false;
  /** CORS headers and preflights. Off by default; `true` allows any origin. */
  cors?: boolean | CorsOptions;
  /** The pino logger for Fastify and the access log; false for none. Default: pino at info to stdout. */
  logger?: Logger | false;
  /** One log line per request (request id, method, path, status, latency). Default true. */
  accessLog?: boolean;
  /** Prometheus metrics at /metrics. Default true; `{ defaultMetrics: true }` adds process metrics. */
  metrics?: boolean | { defaultMetrics?: boolean };
  /** Title and version for /openapi.json; false to leave it out. */
  openapi?: OpenApiInfo | false;
  /** Serve HTTPS with this certificate and key (PEM). Default: plain HTTP. */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** Limit requests per client (429 with Retry-After beyond). Off by default. */
  rateLimit?: RateLimitOptions;
}

export interface Readiness {
  ready: boolean;
  missing: string[];
}

export interface Gateway {
  /** The Fastify instance: add routes, hooks and plugins before `listen`. */
  readonly app: FastifyInstance;
  readonly node: MeshNode;
  readonly metrics: GatewayMetrics | undefined;
  readonly logger: Logger | undefined;
  /** Listen for HTTP on "host:port", ":port" or a port (default 0.0.0.0:8282); resolves with the bound address. */
  listen(address?: string | number): Promise<string>;
  readiness(): Readiness;
  /** Stop taking requests and close the HTTP server (the mesh node is yours to close). */
  close(): Promise<void>;
}

export { DEFAULT_HTTP_PORT } from './defaults.js';

export function createGateway(node: MeshNode, options: GatewayOptions = {}): Gateway {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const handlerBodyLimit = options.handlerBodyLimit ?? 64 * 1024 * 1024;
  const callTimeout = options.callTimeout ?? DEFAULT_CALL_TIMEOUT;
  const policy = { callTimeout, maxCallTimeout: options.maxCallTimeout ?? Math.max(callTimeout, 60_000) };
  const headersTimeout = options.headersTimeout ?? 10_000;
  const requestTimeout = Math.max(options.requestTimeout ?? 60_000, headersTimeout);
  // Asynchronous writes: under load, lines written while one write is in flight go out together
  // instead of one syscall each (flushed on close).
  const logger =
    options.logger === false
      ? undefined
      : (options.logger ??
        pino({ name: 'meshrpc-gateway', level: process.env.MESHRPC_LOG_LEVEL ?? 'info', mixin: traceMixin }, pino.destination({ dest: 1, sync: false })));
  const accessLog = options.accessLog !== false && logger !== undefined;
  const required = [...(options.require ?? [])];
  let closing = false;

  const idPrefix = randomBytes(4).toString('hex');
  let nextId = 0;
  const app = fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    return503OnClosing: true,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : `${idPrefix}-${(nextId++).toString(36)}`;
    },
    serverFactory: (handler) => {
      // Node checks header/request timeouts on this interval (30 s by default: too coarse to protect).
      // Targets a handler further on could read as another path never reach routing.
      const serverOptions = { headersTimeout, requestTimeout, connectionsCheckingInterval: 1000 };
      const guarded = guardRequestTargets(handler);
      const server = options.https
        ? createHttpsServer({ ...serverOptions, ...options.https, minVersion: 'TLSv1.2' }, guarded)
        : createServer(serverOptions, guarded);
      server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000;
      return server;
    },
  }) as unknown as FastifyInstance;

  const table = new ServiceTable(node);
  const metrics = options.metrics === false ? undefined : new GatewayMetrics(node, typeof options.metrics === 'object' ? options.metrics : {});
  const openapi = options.openapi === false ? undefined : new OpenApiBuilder(node, table, options.openapi || {});
  // Fetch schemas as services appear, so /openapi.json rarely has to wait for them.
  if (openapi) table.onChange(() => void openapi.refresh());

  app.decorateRequest('meshrpc', null);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  if (options.cors) installCors(app, options.cors === true ? {} : options.cors);
  if (options.auth) installAuth(app, options.auth);
  if (options.rateLimit) installRateLimit(app, options.rateLimit);

  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const info = request.meshrpc;
    if (metrics) {
      if (info) metrics.observe(info.service, info.method, status, reply.elapsedTime / 1000);
      else {
        const routeUrl = request.routeOptions.url; // a getter that builds an object: only here
        metrics.observe(routeUrl ? '(route)' : '(none)', routeUrl ?? '(none)', status, reply.elapsedTime / 1000);
      }
    }
    if (accessLog) {
      logger!.info(
        { reqId: request.id, method: request.method, path: request.url, status, ms: Math.round(reply.elapsedTime * 100) / 100 },
        'request',
      );
    }
    done();
  });

  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status } = errorResponse(err);
    if (status >= 500 && !(err instanceof MeshError)) request.log.error({ err }, 'request failed');
    return sendError(reply, err);
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    sendError(reply, Failures.noRoute({ method: request.method, path: request.url.split('?', 1)[0]! })),
  );

  // ---- operations ----
  const readiness = (): Readiness => {
    const missing = required.filter((s) => !table.get(s));
    return { ready: !closing && missing.length === 0, missing };
  };
  // Routes live in plugins, so that plugins registered before them (the rate limit) see them.
  app.register(async (ops) => {
    const ok = { status: 'ok' };
    ops.get('/ping', async () => ok);
    ops.get('/__heartbeat__', async () => ok);
    // Still 200 when the certificate expires soon: a restart would not help, a new certificate does.
    ops.get('/healthz', async () => {
      const security = node.security?.();
      return {
        status: 'ok',
        node: node.name,
        id: node.id,
        uptime: Math.round(process.uptime()),
        ...(security && { security }),
        ...(security?.certificate?.expiresSoon && { warnings: [`this node's TLS certificate expires at ${security.certificate.notAfter}: issue a new one`] }),
      };
    });
    ops.get('/readyz', async (_request, reply) => {
      const r = readiness();
      return reply.code(r.ready ? 200 : 503).send(r.ready ? { status: 'ready' } : { status: closing ? 'closing' : 'not ready', missing: r.missing });
    });
    if (metrics) {
      ops.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
    }
    if (openapi) ops.get('/openapi.json', async () => openapi.document());
    ops.get('/', async () => ({
      services: table.all().map((e) => ({ name: e.name, methods: e.methods ? [...e.methods] : [], http: e.http, instances: e.instances })),
      openapi: openapi ? '/openapi.json' : undefined,
    }));
  });

  // ---- the mesh: automatic RPC routes and forwarded HTTP handlers ----
  const { forward, forwardRoute } = createForwarder({ node, table, metrics, policy, bodyLimit: handlerBodyLimit });
  const rpc = rpcRoute({ node, table, metrics, policy, bodyLimit, forward });
  app.register(async (mesh) => {
    // Bodies stay streams here: RPC routes read them within bodyLimit, forwarding streams them on.
    mesh.removeAllContentTypeParsers();
    mesh.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    mesh.post('/:service/:method', rpc);
    mesh.all('/:service', forwardRoute);
    mesh.all('/:service/*', forwardRoute);
  });

  return {
    app,
    node,
    metrics,
    logger,
    async listen(address: string | number = DEFAULT_HTTP_PORT) {
      const { host, port } = typeof address === 'number' ? { host: '0.0.0.0', port: address } : parseHostPort(address, '0.0.0.0', DEFAULT_HTTP_PORT);
      await app.listen({ host, port });
      const bound = app.server.address();
      return formatHostPort({ host, port: typeof bound === 'object' && bound ? bound.port : port });
    },
    readiness,
    async close() {
      closing = true;
      table.close();
      await app.close();
      if (logger) await new Promise<void>((resolve) => logger.flush(() => resolve()));
    },
  };
}
