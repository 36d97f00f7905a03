/**
 * Publishing a plain Node `(req, res)` HTTP handler on the mesh, so the gateway can forward
 * `/<service>/<path>` to it. Any Express, Fastify (`app.routing` / `app.server` handler) or Koa
 * (`app.callback()`) handler works unchanged because it runs inside a real `http.Server`: a
 * private one on 127.0.0.1 with an ephemeral port, reached only by this module. Each mesh byte
 * stream becomes one loopback request: the head carries method, url and headers, the request
 * body streams in, and the response status, headers and body stream back.
 *
 * Why a loopback server rather than hand-made req/res objects: handlers rely on countless details
 * of IncomingMessage/ServerResponse (sockets, `res.writeHead` variants, pipelining, trailers),
 * and only the real thing has all of them.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { CallContext } from '../core/context.js';
import { DEFAULT_NAMESPACE } from '../core/endpoint.js';
import { MeshError } from '../core/errors.js';
import type { StreamEndpoint, StreamReply } from '../core/stream.js';
import { Failures } from '../core/failures.js';
import { decodeRequestHead, encodeHead, forwardableHeaders } from './http-head.js';

export type NodeHttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** What publishHttpHandler needs of a mesh node: the built-in Mesh has it. */
export interface StreamPublisher {
  publishStream(name: string, endpoint: StreamEndpoint, namespace?: string): unknown;
}

export interface PublishedHttpHandler {
  /** The loopback address the handler listens on (once started). */
  readonly address: Promise<string>;
  /** Stop the loopback server (the mesh node's close() stops routing to it). */
  close(): Promise<void>;
}

export interface PublishHttpOptions {
  namespace?: string;
}

/**
 * Serve `handler` for HTTP requests the gateway forwards to `/<name>/...`. The handler sees the
 * path after `/<name>` (e.g. `/check?x=1`), and `x-forwarded-prefix: /<name>` for building links.
 */
export function publishHttpHandler(
  node: StreamPublisher,
  name: string,
  handler: NodeHttpHandler,
  options: PublishHttpOptions = {},
): PublishedHttpHandler {
  const server: Server = createServer(handler);
  // No request/headers timeouts of Node's own here: the mesh call's deadline bounds each request.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 60_000;
  const address = new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      server.unref(); // the mesh node keeps the process alive, not this private server
      resolve(server.address() as AddressInfo);
    });
  });
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 64 });

  const endpoint: StreamEndpoint = {
    async handleStream(ctx: CallContext, headBytes: Uint8Array, body: Readable): Promise<StreamReply> {
      const head = decodeRequestHead(headBytes);
      const { port } = await address;
      return new Promise<StreamReply>((resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          agent,
          method: head.method,
          path: head.url,
          headers: forwardableHeaders(head.headers),
        });
        const onAbort = () => req.destroy(ctx.signal.reason);
        // Only a call with a deadline or a cancelling caller needs the (lazily built) signal.
        if (ctx.deadline !== undefined) ctx.signal.addEventListener('abort', onAbort, { once: true });
        req.once('response', (res) => {
          const headers = forwardableHeaders(res.headers);
          resolve({ head: encodeHead({ status: res.statusCode ?? 500, headers }), body: res });
          res.once('close', () => ctx.signal.removeEventListener('abort', onAbort));
        });
        req.once('error', (err) => {
          reject(err instanceof MeshError ? err : Failures.httpHandlerFailed({ service: name, why: err.message }));
        });
        body.once('error', (err) => req.destroy(err));
        body.pipe(req);
      });
    },
  };
  node.publishStream(name, endpoint, options.namespace ?? DEFAULT_NAMESPACE);

  return {
    address: address.then((a) => `127.0.0.1:${a.port}`),
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
