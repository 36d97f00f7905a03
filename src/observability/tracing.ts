/**
 * Tracing as interceptors, through `@opentelemetry/api` only: the application brings (or
 * `startTelemetryFromEnv` starts) an SDK, as OpenTelemetry asks of libraries. Every call gets a
 * CLIENT span on the caller and a SERVER span on the server, named `<service>/<method>` with the
 * RPC semantic conventions' attributes; the W3C trace context travels as call metadata
 * (`traceparent`, `tracestate`), so every transport that carries metadata carries it unchanged.
 *
 * Without a registered SDK the API is a no-op, and these interceptors check that first and call
 * `next()` directly: no span objects, no context switch, no metadata written.
 */
import {
  context,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import type { CallTarget } from '../core/caller.js';
import { ErrorCodes, type ErrorCode } from '../core/codes.js';
import type { CallContext, Metadata } from '../core/context.js';
import { MeshError } from '../core/errors.js';
import type { Inbound } from '../pipeline/inbound.js';
import type { ClientInterceptor, ServerInterceptor } from '../pipeline/interceptor.js';
import type { Outbound } from '../pipeline/outbound.js';
import { onRetry } from './call-events.js';

export const TRACER_NAME = 'meshrpc';

export interface TracingOptions {
  /** `meshrpc.transport` on every span: "mesh", "nats", "amqp", ... (left out when unset). */
  transport?: string;
  /** More attributes for a server span, from the served call (beyond `meshrpc.caller.*`). */
  serverAttributes?: (ctx: CallContext) => Attributes | undefined;
}

const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/** Is an SDK registered? The global provider is a proxy whose delegate stays the no-op one until then. */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  return (provider.getDelegate ? provider.getDelegate() : provider) !== NOOP_PROVIDER;
}

const metadataSetter: TextMapSetter<Metadata> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** Write the trace context of `ctx` into call metadata (the propagators the SDK registered decide the keys). */
export function injectTraceContext(ctx: Context, metadata: Metadata): void {
  propagation.inject(ctx, metadata, metadataSetter);
}

/** The context a call's metadata names as its parent (ROOT_CONTEXT plus the remote span, if any). */
export function extractTraceContext(metadata: Metadata, base: Context = ROOT_CONTEXT): Context {
  return propagation.extract(base, metadata, metadataGetter);
}

/** `rpc.service` and the metrics' `service` label: the name, prefixed by a namespace other than the default. */
export function qualifiedService(target: { namespace?: string; service: string }): string {
  return target.namespace === undefined || target.namespace === 'default' ? target.service : `${target.namespace}/${target.service}`;
}

function baseAttributes(target: CallTarget, transport: string | undefined): Attributes {
  const attributes: Attributes = { 'rpc.system': 'meshrpc', 'rpc.service': qualifiedService(target), 'rpc.method': target.method };
  if (transport) attributes['meshrpc.transport'] = transport;
  return attributes;
}

/** Codes that are the server's fault: only these mark a SERVER span as an error (as OpenTelemetry's gRPC conventions say). */
const SERVER_FAULTS = new Set<ErrorCode>(['UNKNOWN', 'DEADLINE_EXCEEDED', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS']);

function settle(span: Span, err: unknown, side: 'client' | 'server'): void {
  if (err === undefined) {
    span.setAttribute('meshrpc.code', 'OK');
    span.setAttribute('rpc.grpc.status_code', 0);
  } else {
    const e = MeshError.from(err);
    span.setAttribute('meshrpc.code', e.code);
    span.setAttribute('rpc.grpc.status_code', ErrorCodes[e.code].num);
    span.setAttribute('error.type', e.code);
    if (side === 'client' || SERVER_FAULTS.has(e.code)) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
      span.recordException(e);
    }
  }
  span.end();
}

/** Run `next` inside `span`, then end the span with the call's outcome. */
function within<T>(span: Span, ctx: Context, side: 'client' | 'server', next: () => Promise<T>): Promise<T> {
  let p: Promise<T>;
  try {
    p = context.with(ctx, next);
  } catch (err) {
    p = Promise.reject(err);
  }
  return p.then(
    (out) => {
      settle(span, undefined, side);
      return out;
    },
    (err: unknown) => {
      settle(span, err, side);
      throw err;
    },
  );
}

/**
 * A CLIENT span around every call this node makes. Its parent is the active span (the served
 * call a handler makes it from, or the application's own span); with none, a `traceparent` the
 * call already carries in its metadata (the gateway passes an HTTP request's on), so an
 * incoming trace context becomes the parent. The span's context then replaces it in metadata.
 */
export function clientTracing(options: TracingOptions = {}): ClientInterceptor {
  return (call, next) => {
    if (!tracingActive()) return next();
    let parent = context.active();
    if (trace.getSpan(parent) === undefined && call.metadata.traceparent !== undefined) parent = extractTraceContext(call.metadata, parent);
    const { target } = call;
    const span = trace.getTracer(TRACER_NAME).startSpan(
      `${qualifiedService(target)}/${target.method}`,
      { kind: SpanKind.CLIENT, attributes: baseAttributes(target, options.transport) },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    injectTraceContext(ctx, call.metadata);
    return within(span, ctx, 'client', next);
  };
}

/**
 * A SERVER span around every call this node serves, child of the trace context in the call's
 * metadata (a new trace without one). The handler runs inside it, so its own spans, its log
 * lines and the calls it makes belong to the trace.
 */
export function serverTracing(options: TracingOptions = {}): ServerInterceptor {
  return (ctx, next) => {
    if (!tracingActive()) return next();
    const parent = ctx.metadata.traceparent !== undefined ? extractTraceContext(ctx.metadata) : ROOT_CONTEXT;
    const attributes = baseAttributes(ctx, options.transport);
    if (ctx.caller) {
      attributes['meshrpc.caller.name'] = ctx.caller.name;
      attributes['meshrpc.caller.id'] = ctx.caller.id;
      if (ctx.caller.identity) attributes['meshrpc.caller.identity'] = ctx.caller.identity.uri;
    }
    const more = options.serverAttributes?.(ctx);
    if (more) Object.assign(attributes, more);
    const span = trace.getTracer(TRACER_NAME).startSpan(`${qualifiedService(ctx)}/${ctx.method}`, { kind: SpanKind.SERVER, attributes }, parent);
    return within(span, trace.setSpan(parent, span), 'server', next);
  };
}

/** Both sides, for `node.use(tracingInterceptors())` on a node or transport that lacks them. */
export function tracingInterceptors(options: TracingOptions = {}): { server: ServerInterceptor[]; client: ClientInterceptor[] } {
  return { server: [serverTracing(options)], client: [clientTracing(options)] };
}

/** Tracing for a transport server (gRPC, NATS, RabbitMQ, Kafka) made while an SDK is registered. */
export function traceInbound(inbound: Inbound): Inbound {
  return tracingActive() ? inbound.use(serverTracing()) : inbound;
}

/** Tracing for a transport client made while an SDK is registered. */
export function traceOutbound(outbound: Outbound): Outbound {
  return tracingActive() ? outbound.use(clientTracing()) : outbound;
}

// A retry inside a transport's send runs in the client span's context: mark it there.
onRetry((event) => {
  if (!tracingActive()) return;
  const span = trace.getActiveSpan();
  if (!span) return;
  const attributes: Attributes = { 'meshrpc.attempt': event.attempt, 'meshrpc.code': event.error.code, 'exception.message': event.error.message };
  if (event.instance) attributes['meshrpc.instance'] = event.instance;
  if (event.destination) attributes['meshrpc.destination'] = event.destination;
  span.addEvent(event.kind === 'failover' ? 'meshrpc.failover' : 'meshrpc.retry', attributes);
});
