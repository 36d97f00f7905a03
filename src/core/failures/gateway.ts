/** Failures the HTTP gateway answers itself: routes, credentials, request targets, forwarded HTTP. */
import { because, named } from './named.js';

export const GatewayFailures = {
  noRoute: named<{ method: string; path: string }>('NOT_FOUND', (p) => `no route for ${p.method} ${p.path}`),
  missingCredentials: named('UNAUTHENTICATED', () => 'missing API key or bearer token'),
  invalidCredentials: named('UNAUTHENTICATED', () => 'invalid API key or bearer token'),
  bodyNotObject: named('INVALID_ARGUMENT', () => 'the body must be a JSON object of named arguments', {
    details: () => ({ problems: [{ path: '', expected: 'object', got: 'not a JSON object' }] }),
  }),
  bodyTooLarge: named<{ limit: number }>('RESOURCE_EXHAUSTED', (p) => `request body is larger than ${p.limit} bytes`, { details: (p) => ({ limit: p.limit }) }),
  bodyUnreadable: named<{ why: string }>('INVALID_ARGUMENT', (p) => `request body could not be read${because(p.why)}`),
  /** A method of the service asked for with another HTTP method than POST (answered 405). */
  callWithPost: named<{ service: string; method: string }>(
    'UNIMPLEMENTED',
    (p) => `call "${p.service}.${p.method}" with POST and a JSON object of named arguments`,
  ),
  rateLimited: named<{ max: number; window: string }>('RESOURCE_EXHAUSTED', (p) => `rate limit of ${p.max} requests per ${p.window} exceeded`, {
    details: (p) => ({ retryAfter: p.window }),
  }),
  requestTargetRefused: named<{ problem: string }>('INVALID_ARGUMENT', (p) => `request target refused: ${p.problem}`),

  // ---- HTTP forwarded to a service's published handler ----
  cannotForwardHttp: named('UNIMPLEMENTED', () => 'this mesh engine cannot forward HTTP to published handlers'),
  httpClientGone: named<{ during?: string } | void>('CANCELLED', (p) => `the HTTP client went away${p?.during ? ` during ${p.during}` : ''}`),
  httpHandlerFailed: named<{ service: string; why: string }>('INTERNAL', (p) => `HTTP handler of "${p.service}" failed${because(p.why)}`),
  invalidRequestHead: named('INVALID_ARGUMENT', () => 'HTTP request head needs a method and a url starting with "/"'),
  invalidReplyHead: named('INTERNAL', () => 'HTTP reply head from the service has no valid status'),
  malformedHead: named<{ what: 'request' | 'reply' }>('INVALID_ARGUMENT', (p) => `malformed HTTP ${p.what} head`),
} as const;
