/**
 * Prometheus metrics of the gateway, in a registry of its own (two gateways in one process, or
 * a user's own prom-client metrics, never collide):
 *
 *   meshrpc_gateway_requests_total{service,method,status}            counter
 *   meshrpc_gateway_request_duration_seconds{service,method,status}  histogram
 *   meshrpc_gateway_calls_in_flight                                  gauge (mesh calls and forwards)
 *   and its node's families (meshrpc_mesh_members, meshrpc_mesh_service_instances{service},
 *   meshrpc_mesh_links, meshrpc_client_retries_total, ...; docs/OBSERVABILITY.md)
 *
 * Label values are bounded: `service` is a service the cluster has (or had), "(route)" for the
 * gateway's and the user's own routes (method is then the route pattern), "(none)" for 404s.
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LATENCY_BUCKETS, RequestSeries } from '../observability/series.js';
import { nodeFamilies } from '../observability/families.js';
import { nodeMetrics } from '../observability/metrics.js';
import type { MeshNode } from '../core/node.js';

export class GatewayMetrics {
  readonly registry = new Registry();
  /**
   * Request counts and latencies, kept by the gateway itself and exported through the registry:
   * prom-client's labelled counters and histograms validate and hash the label set on every
   * observation, which cost about a tenth of a proxied request.
   */
  readonly #requests = new RequestSeries(LATENCY_BUCKETS);
  readonly #inFlight: Gauge;
  #inFlightCount = 0;

  constructor(node: MeshNode, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.registry.registerMetric(
      this.#requests.counter('meshrpc_gateway_requests_total', 'HTTP requests answered by the gateway, by service, method and status'),
    );
    this.registry.registerMetric(
      this.#requests.histogram('meshrpc_gateway_request_duration_seconds', 'Latency of HTTP requests through the gateway, by service, method and status'),
    );
    const self = this;
    this.#inFlight = new Gauge({
      name: 'meshrpc_gateway_calls_in_flight',
      help: 'Mesh calls and forwarded HTTP requests the gateway is waiting on',
      registers,
      collect() {
        this.set(self.#inFlightCount);
      },
    });
    // The node's own families (members, instances, links, retries; its call figures when it
    // records them), defined once in observability/families.ts.
    const own = nodeMetrics(node);
    for (const metric of nodeFamilies(() => [own])) this.registry.registerMetric(metric);
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'meshrpc_gateway_' });
  }

  observe(service: string, method: string, status: number, seconds: number): void {
    this.#requests.observe(service, method, status, seconds);
  }

  callStarted(): void {
    this.#inFlightCount++;
  }

  callEnded(): void {
    this.#inFlightCount--;
  }

  get inFlight(): number {
    return this.#inFlightCount;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
