/**
 * Trace ids in log lines: a pino mixin that adds `trace_id`, `span_id` and `trace_flags` (the
 * names OpenTelemetry's log data model and pino's own instrumentation use) while a span is
 * active, as inside a handler of a traced call. It runs only for lines that are written.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';

/** A new object each time: pino merges the line's own fields into what the mixin returns. */
export function traceMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: `0${sc.traceFlags.toString(16)}` };
}
