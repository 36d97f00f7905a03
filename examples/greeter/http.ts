/**
 * The greeter's own "legacy" HTTP endpoint, a plain Node `(req, res)` handler (an Express,
 * Fastify or Koa app's handler works the same way), published on the mesh so the gateway
 * serves it at `GET /greeter/check`, on the built-in mesh and on NATS alike.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CreatedMesh } from 'meshrpc';
import { publishHttpHandler } from 'meshrpc/gateway';

export function greeterHttpHandler(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (req.method === 'GET' && path === '/check') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`All ok! ${new Date().toISOString()}\n`);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`greeter has no ${req.method} ${path}\n`);
}

/** Publish the greeter's HTTP handler for gateways to forward to. */
export function publishGreeterHttp(mesh: CreatedMesh): void {
  publishHttpHandler(mesh, 'greeter', greeterHttpHandler);
}
