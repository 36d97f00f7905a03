/**
 * `meshrpc/observability`: tracing and metrics for what meshrpc does not install by itself, and
 * for your own endpoints. Mesh nodes install both on their own (docs/OBSERVABILITY.md); this
 * entry is for transport servers and clients made before an SDK was registered, for serving the
 * process's metrics yourself, and for starting the OpenTelemetry SDK from OTEL_* variables.
 */
export { tracingInterceptors, clientTracing, serverTracing, tracingActive, injectTraceContext, extractTraceContext, TRACER_NAME, type TracingOptions } from './tracing.js';
export { traceMixin } from './log.js';
export { startTelemetryFromEnv, tracesRequested, type Telemetry, type TelemetryOptions } from './sdk.js';
export { NodeMetrics, nodeMetrics, metricsOf } from './metrics.js';
export { meshRegistry, nodeFamilies } from './families.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
export { metricsAddress, METRICS_ADDR_ENV } from './node.js';
export { LATENCY_BUCKETS, RequestSeries } from './series.js';
export { onRetry, type RetryEvent } from './call-events.js';
