/**
 * An optional per-client rate limit (@fastify/rate-limit): past `max` requests in `timeWindow`
 * a client gets 429 RESOURCE_EXHAUSTED with Retry-After. Operations routes stay exempt, as
 * they are from the token check, so probes and scrapers are never throttled.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';
import { OPERATIONS_PATHS } from './protect.js';
import { Failures } from '../core/failures.js';

export interface RateLimitOptions {
  /** Requests allowed per client in each window. */
  max: number;
  /** The window, ms. Default 60 000. */
  timeWindow?: number;
  /** What a client is. Default: its IP address (behind a proxy, set Fastify's trustProxy). */
  keyOf?: (request: FastifyRequest) => string;
  /** Paths never limited. Default: the operations routes. */
  exempt?: readonly string[];
}

export function installRateLimit(app: FastifyInstance, options: RateLimitOptions): void {
  const exempt = new Set(options.exempt ?? OPERATIONS_PATHS);
  void app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.timeWindow ?? 60_000,
    keyGenerator: options.keyOf ?? ((request) => request.ip),
    allowList: (request) => exempt.has(request.url.split('?', 1)[0]!),
    errorResponseBuilder: (_request, context) => {
      const err = HttpError.of(429, Failures.rateLimited({ max: context.max, window: context.after }));
      // The plugin throws what this returns; the gateway's error handler answers with it.
      return err;
    },
  });
}
