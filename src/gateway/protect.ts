/**
 * Request protection hooks: an optional API-key / bearer-token check, and CORS as an option.
 * Operations routes (health, readiness, metrics) stay open by default so probes and scrapers
 * need no secret; CORS preflights are answered before the token check (browsers send none).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.js';
import { Failures } from '../core/failures.js';

export interface AuthOptions {
  /** Accepted tokens, sent as `Authorization: Bearer <token>` or `x-api-key: <token>`. */
  tokens?: readonly string[];
  /** Or decide yourself; return true to let the request in. */
  verify?: (token: string | undefined, request: FastifyRequest) => boolean | Promise<boolean>;
  /** Paths that need no token. Default: the operations routes (/ping, /__heartbeat__, /healthz, /readyz, /metrics). */
  exempt?: readonly string[];
}

export interface CorsOptions {
  /** Allowed origins: '*' (default), one origin, or a list (the request's origin is echoed when listed). */
  origin?: '*' | string | readonly string[];
  credentials?: boolean;
  /** Extra headers browsers may send; default: whatever the preflight asks for. */
  allowedHeaders?: readonly string[];
  exposedHeaders?: readonly string[];
  /** Seconds a preflight may be cached. Default 600. */
  maxAge?: number;
}

export const OPERATIONS_PATHS = ['/ping', '/__heartbeat__', '/healthz', '/readyz', '/metrics'];

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function tokenOf(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (m) return m[1].trim();
  }
  const key = request.headers['x-api-key'];
  return typeof key === 'string' ? key : undefined;
}

export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const exempt = new Set(options.exempt ?? OPERATIONS_PATHS);
  // Compare fixed-length digests in constant time, so response timing says nothing about a token.
  const accepted = (options.tokens ?? []).map(digest);
  const check = (token: string | undefined): boolean => {
    if (token === undefined) return false;
    const d = digest(token);
    let ok = false;
    for (const a of accepted) if (timingSafeEqual(a, d)) ok = true;
    return ok;
  };
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) return;
    const path = request.url.split('?', 1)[0];
    if (exempt.has(path)) return;
    const token = tokenOf(request);
    const ok = options.verify ? await options.verify(token, request) : check(token);
    if (!ok) {
      reply.header('www-authenticate', 'Bearer');
      return sendError(reply, token === undefined ? Failures.missingCredentials() : Failures.invalidCredentials());
    }
  });
}

export function installCors(app: FastifyInstance, options: CorsOptions): void {
  const origins = options.origin === undefined || options.origin === '*' ? '*' : typeof options.origin === 'string' ? [options.origin] : options.origin;
  const maxAge = String(options.maxAge ?? 600);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (!origin) return;
    let allow: string | undefined;
    if (origins === '*') allow = options.credentials ? origin : '*';
    else if (origins.includes(origin)) allow = origin;
    if (!allow) return;
    reply.header('access-control-allow-origin', allow);
    if (allow !== '*') reply.header('vary', 'Origin');
    if (options.credentials) reply.header('access-control-allow-credentials', 'true');
    if (options.exposedHeaders?.length) reply.header('access-control-expose-headers', options.exposedHeaders.join(', '));
    const preflightMethod = request.headers['access-control-request-method'];
    if (request.method === 'OPTIONS' && preflightMethod) {
      reply.header('access-control-allow-methods', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
      const asked = request.headers['access-control-request-headers'];
      const headers = options.allowedHeaders?.join(', ') ?? (typeof asked === 'string' ? asked : undefined);
      if (headers) reply.header('access-control-allow-headers', headers);
      reply.header('access-control-max-age', maxAge);
      return reply.code(204).send();
    }
  });
}
