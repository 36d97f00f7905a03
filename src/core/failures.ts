/**
 * Named errors: every failure of the call path (starting, routing, serving, links, registration)
 * is defined once here, with its code and its message template, so a deadline or an unknown
 * service reads the same whichever transport carried the call (Fastify's lib/errors.js is the
 * model). Use `Failures.noLiveInstance({ service })`; options (`cause`, `details`) go second.
 * What a handler throws is its own; transports' connection failures keep their library's text.
 */
import type { ErrorCode } from './codes.js';
import { MeshError, type MeshErrorOptions } from './errors.js';

export interface NamedError<P> {
  (params: P, options?: MeshErrorOptions): MeshError;
  readonly code: ErrorCode;
  readonly message: (params: P) => string;
}

function named<P = void>(code: ErrorCode, message: (params: P) => string, defaults?: MeshErrorOptions): NamedError<P> {
  const create = (params: P, options?: MeshErrorOptions) => new MeshError(code, message(params), defaults ? { ...defaults, ...options } : options);
  return Object.assign(create, { code, message });
}

const inNamespace = (namespace: string | undefined) => (namespace === undefined || namespace === 'default' ? '' : ` in namespace "${namespace}"`);
const calling = (target: string | undefined) => (target ? ` calling "${target}"` : '');

export const Failures = {
  // ---- starting a call (nothing was sent: safe to try elsewhere) ----
  cancelledBeforeStart: named('CANCELLED', () => 'call cancelled before it started', { notProcessed: true }),
  deadlineBeforeStart: named('DEADLINE_EXCEEDED', () => 'deadline exceeded before the call started', { notProcessed: true }),
  nodeClosed: named<{ why?: string }>('UNAVAILABLE', (p) => p?.why ?? 'this node is closed', { notProcessed: true }),

  // ---- while a call is under way ----
  deadlineExceeded: named<{ target?: string; afterMs?: number } | void>(
    'DEADLINE_EXCEEDED',
    (p) => `deadline exceeded${calling(p?.target)}${p?.afterMs === undefined ? '' : ` after ${p.afterMs} ms`}`,
  ),
  deadlineWhileRetrying: named('DEADLINE_EXCEEDED', () => 'deadline exceeded while retrying'),
  cancelledByCaller: named('CANCELLED', () => 'call cancelled by the caller'),
  callerDisconnected: named('CANCELLED', () => 'the caller disconnected'),

  // ---- serving ----
  deadlineOnArrival: named('DEADLINE_EXCEEDED', () => 'deadline exceeded before the call reached the handler'),
  unknownService: named<{ service: string; namespace?: string }>('NOT_FOUND', (p) => `unknown service "${p.service}"${inNamespace(p.namespace)}`),
  unknownMethod: named<{ service: string; method: string }>('UNIMPLEMENTED', (p) => `service "${p.service}" has no method "${p.method}"`),
  noStreamEndpoint: named<{ service: string }>('NOT_FOUND', (p) => `service "${p.service}" publishes no stream endpoint`),

  // ---- routing in a cluster ----
  serviceNotInCluster: named<{ service: string }>('NOT_FOUND', (p) => `no service named "${p.service}" in the cluster`),
  noLiveInstance: named<{ service: string }>('UNAVAILABLE', (p) => `no live instance of service "${p.service}"`, { notProcessed: true }),

  // ---- sizes ----
  requestTooLarge: named<{ size: number; limit: number; what?: string }>(
    'RESOURCE_EXHAUSTED',
    (p) => `request of ${p.size} bytes exceeds ${p.what ?? 'the frame limit'} of ${p.limit} bytes`,
  ),
  replyTooLarge: named<{ size: number; limit: number }>('RESOURCE_EXHAUSTED', (p) => `reply of ${p.size} bytes exceeds the caller's frame limit of ${p.limit} bytes`),

  // ---- links ----
  linkClosed: named<{ peer: string }>('UNAVAILABLE', (p) => `connection to ${p.peer} is closed`, { notProcessed: true }),
  linkLost: named<{ peer: string; why?: string }>('UNAVAILABLE', (p) => `connection to ${p.peer} ${p.why ? `closed: ${p.why}` : 'lost'}`),
  peerSilent: named<{ peer: string; idleMs: number }>('UNAVAILABLE', (p) => `peer ${p.peer} stopped answering (${p.idleMs} ms)`),

  // ---- registration (the container's rules) ----
  emptyNamespace: named('INVALID_ARGUMENT', () => 'a namespace must be a non-empty string'),
  emptyServiceName: named('INVALID_ARGUMENT', () => 'a service name must be a non-empty string'),
  namespaceNotRegistered: named<{ namespace: string; service?: string }>('FAILED_PRECONDITION', (p) =>
    p.service === undefined
      ? `namespace "${p.namespace}" is not registered`
      : `cannot register service "${p.service}": namespace "${p.namespace}" is not registered (call registerNamespace("${p.namespace}") first)`,
  ),
  serviceExists: named<{ key: string }>('ALREADY_EXISTS', (p) => `service "${p.key}" is already registered`),
  alreadyStarted: named<{ what: string }>('FAILED_PRECONDITION', (p) => `${p.what} already started`),
} as const;
