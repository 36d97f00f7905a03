/**
 * Prometheus metrics of mesh nodes (prom-client, Prometheus naming), recorded by interceptors:
 *
 *   meshrpc_server_call_duration_seconds{service,method,code}  histogram  calls this process served
 *   meshrpc_client_call_duration_seconds{service,method,code}  histogram  calls this process made
 *   meshrpc_server_calls_in_flight / meshrpc_client_calls_in_flight   gauges
 *   meshrpc_server_sent_bytes_total / meshrpc_client_received_bytes_total  reply payload bytes
 *   meshrpc_client_retries_total{service,method,kind}          counter    failover | backoff
 *   meshrpc_mesh_links                                         gauge      peers linked (built-in mesh)
 *   meshrpc_mesh_members                                       gauge      nodes known, itself included
 *   meshrpc_mesh_service_instances{service}                    gauge      live instances per service
 *
 * Each observed node keeps its own figures (NodeMetrics); a family sums the nodes it is given:
 * the process registry (`meshRegistry`, served on MESHRPC_METRICS_ADDR) every live node of the
 * process, the gateway's registry its own node. Label values stay bounded: a served call to a
 * service or method this node does not have counts as "(unknown)".
 */
import { Registry, type Metric, type MetricValue } from 'prom-client';
import { liveMetrics, type NodeMetrics } from './metrics.js';
import { collected, type RequestSeries } from './series.js';
import { qualifiedService } from './tracing.js';

/** Same labels, same series: values of several nodes added up. */
function summed(values: MetricValue<string>[]): MetricValue<string>[] {
  const byKey = new Map<string, MetricValue<string>>();
  for (const v of values) {
    const key = `${(v as { metricName?: string }).metricName ?? ''}${JSON.stringify(v.labels)}`;
    const seen = byKey.get(key);
    if (seen) seen.value += v.value;
    else byKey.set(key, { ...v });
  }
  return [...byKey.values()];
}

function gauge(name: string, help: string, values: () => MetricValue<string>[]): Metric {
  return collected(name, help, 'gauge', () => summed(values()));
}

/** Every node family over the nodes `sources()` yields at scrape time. */
export function nodeFamilies(sources: () => Iterable<NodeMetrics>): Metric[] {
  const all = () => [...sources()];
  const each = (value: (m: NodeMetrics) => number | undefined) => () =>
    all().flatMap((m) => {
      const v = value(m);
      return v === undefined ? [] : [{ labels: {}, value: v }];
    });
  const histogram = (name: string, help: string, pick: (m: NodeMetrics) => RequestSeries) =>
    collected(name, help, 'histogram', () => summed(all().flatMap((m) => pick(m).histogramValues(name))));
  return [
    histogram('meshrpc_server_call_duration_seconds', 'Latency of the calls this process served, by service, method and code', (m) => m.server),
    histogram('meshrpc_client_call_duration_seconds', 'Latency of the calls this process made, by service, method and code', (m) => m.client),
    gauge('meshrpc_server_calls_in_flight', 'Calls being served now', each((m) => m.serverInFlight)),
    gauge('meshrpc_client_calls_in_flight', 'Calls made and not yet answered', each((m) => m.clientInFlight)),
    collected('meshrpc_server_sent_bytes_total', 'Reply payload bytes sent by served calls', 'counter', () => summed(each((m) => m.sentBytes)())),
    collected('meshrpc_client_received_bytes_total', 'Reply payload bytes received by calls made', 'counter', () => summed(each((m) => m.receivedBytes)())),
    collected('meshrpc_client_retries_total', 'Calls no handler took, tried again: on another instance (failover) or after a pause (backoff)', 'counter', () =>
      summed(all().flatMap((m) => [...m.retries.values()].map((r) => ({ labels: r.labels, value: r.value })))),
    ),
    gauge('meshrpc_mesh_links', 'Peers this node holds a live link to (the built-in mesh)', each((m) => m.links?.())),
    gauge('meshrpc_mesh_members', 'Nodes in the mesh this node knows, itself included', each((m) => m.node.members().length)),
    gauge('meshrpc_mesh_service_instances', 'Live instances of each service', () =>
      all().flatMap((m) => m.node.services().map((s) => ({ labels: { service: qualifiedService({ namespace: s.namespace, service: s.name }) }, value: s.instances.length }))),
    ),
  ];
}

/** The registry of every live node in this process: what MESHRPC_METRICS_ADDR serves. */
export const meshRegistry = new Registry();
for (const metric of nodeFamilies(liveMetrics)) meshRegistry.registerMetric(metric);

