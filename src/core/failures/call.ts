/**
 * Failures of a call on any transport: starting it, while it runs, serving it, routing it in a
 * cluster, its size, its arguments and its payload. A deadline or an unknown service reads the
 * same whichever transport carried the call.
 */
import type { ValidationProblem } from '../spec.js';
import { because, named } from './named.js';

const inNamespace = (namespace: string | undefined) => (namespace === undefined || namespace === 'default' ? '' : ` in namespace "${namespace}"`);
const calling = (target: string | undefined) => (target ? ` calling "${target}"` : '');

export const CallFailures = {
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
  cancelledByServer: named('CANCELLED', () => 'the serving instance cancelled the call'),
  callerDisconnected: named('CANCELLED', () => 'the caller disconnected'),
  streamReaderGone: named('CANCELLED', () => 'the reader of the stream went away'),

  // ---- serving ----
  deadlineOnArrival: named('DEADLINE_EXCEEDED', () => 'deadline exceeded before the call reached the handler'),
  unknownNamespace: named<{ namespace: string }>('NOT_FOUND', (p) => `unknown namespace "${p.namespace}"`),
  unknownService: named<{ service: string; namespace?: string }>('NOT_FOUND', (p) => `unknown service "${p.service}"${inNamespace(p.namespace)}`),
  /** `methods`, when the answerer knows them, lists what the service has (`details.methods`). */
  unknownMethod: named<{ service: string; method: string; methods?: Iterable<string>; noHttpHandler?: boolean }>(
    'UNIMPLEMENTED',
    (p) => `service "${p.service}" has no method "${p.method}"${p.noHttpHandler ? ' and publishes no HTTP handler' : ''}`,
    { details: (p) => (p.methods === undefined ? undefined : { methods: [...p.methods] }) },
  ),
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
  /** The transport refused to send a reply (typically over its size limit): the caller is told instead of left waiting. */
  replyNotSent: named<{ why: string }>('RESOURCE_EXHAUSTED', (p) => `reply could not be sent${because(p.why)}`),

  // ---- arguments and payloads ----
  argumentsNotObject: named<{ got: string }>('INVALID_ARGUMENT', () => 'arguments must be an object of named parameters', {
    details: (p) => ({ problems: [{ path: '', expected: 'object', got: p.got }] }),
  }),
  invalidArguments: named<{ problems: readonly ValidationProblem[] }>(
    'INVALID_ARGUMENT',
    (p) => `invalid arguments: ${p.problems.map((q) => `${q.path || '(arguments)'}: expected ${q.expected}, got ${q.got}`).join('; ')}`,
    { details: (p) => ({ problems: p.problems }) },
  ),
  malformedPayload: named<{ codec: string; why: string }>('INVALID_ARGUMENT', (p) => `malformed ${p.codec} payload${because(p.why)}`),
  unknownCodec: named<{ name: string }>('INVALID_ARGUMENT', (p) => `unknown codec "${p.name}" (expected json or msgpack)`),
  /** A remote error whose body could not be read; `status` is what the transport said instead. */
  unreadableRemoteError: named<{ status?: string } | void>(
    'UNKNOWN',
    (p) => `remote error with an unreadable body${p?.status === undefined ? '' : ` (status ${p.status})`}`,
  ),
  /** A failure a seed-compatible server reported as text (gRPC `RPCResponse.Error`): its text is all there is. */
  remoteFailureText: named<{ text: string }>('UNKNOWN', (p) => p.text),
  waitForTimedOut: named<{ missing: readonly string[]; afterMs: number; why?: { text: string; unreachable?: readonly unknown[] } }>(
    'DEADLINE_EXCEEDED',
    (p) => `services not available after ${p.afterMs} ms: ${p.missing.join(', ')}${p.why ? `; ${p.why.text}` : ''}`,
    { details: (p) => (p.why?.unreachable?.length ? { missing: p.missing, unreachable: p.why.unreachable } : { missing: p.missing }) },
  ),
} as const;
