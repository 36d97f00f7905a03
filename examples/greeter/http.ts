/**
 * The greeter's own "legacy" HTTP endpoint, a plain Node `(req, res)` handler (an Express,
 * Fastify or Koa app's handler works the same way), published on the mesh so the gateway
 * serves it at `GET /greeter/check`. The greeter also publishes its description, so the
 * gateway's /openapi.json carries the greeter's JSON Schemas.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Mesh } from 'meshrpc';
// Until src/index.ts re-exports the gateway module, examples reach it by path.
import { describeService, publishHttpHandler } from 'meshrpc/gateway';
import { greeterSpec } from './greeter.mesh.js';

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

/** Publish the greeter's HTTP handler and its description for gateways. */
export function publishGreeterHttp(mesh: Mesh): void {
  publishHttpHandler(mesh, 'greeter', greeterHttpHandler);
  mesh.publish(describeService({ spec: greeterSpec }));
}
