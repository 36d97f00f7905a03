/**
 * Request counts and latency histograms by (service, method, status), kept in plain arrays and
 * exported to a prom-client Registry as a counter and a histogram (the Registry formats them).
 * An observation is three Map lookups and a bucket scan, with no label objects built, checked
 * or hashed: it runs once per gateway request.
 */
import type { Metric, MetricObjectWithValues, MetricValue, MetricValueWithName } from 'prom-client';

type Labels = { service: string; method: string; status: string };

interface Series {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

export class RequestSeries {
  readonly #bounds: readonly number[];
  readonly #byService = new Map<string, Map<string, Map<number, Series>>>();
  readonly #all: Series[] = [];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
  }

  observe(service: string, method: string, status: number, seconds: number): void {
    let byMethod = this.#byService.get(service);
    if (!byMethod) this.#byService.set(service, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) {
      s = { labels: { service, method, status: String(status) }, counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0, count: 0 };
      byStatus.set(status, s);
      this.#all.push(s);
    }
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++; // Prometheus buckets are "less or equal"
    s.counts[i]++;
    s.sum += seconds;
    s.count++;
  }

  /** The counter of requests, for Registry.registerMetric. */
  counter(name: string, help: string): Metric {
    return this.#metric(name, help, 'counter', () => this.#all.map((s) => ({ labels: s.labels, value: s.count })));
  }

  /** The latency histogram (cumulative buckets, +Inf, _sum, _count), for Registry.registerMetric. */
  histogram(name: string, help: string): Metric {
    return this.#metric(name, help, 'histogram', () => {
      const values: MetricValueWithName<string>[] = [];
      for (const s of this.#all) {
        let acc = 0;
        for (const [i, le] of this.#bounds.entries()) {
          acc += s.counts[i];
          values.push({ labels: { le, ...s.labels }, value: acc, metricName: `${name}_bucket` });
        }
        values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${name}_bucket` });
        values.push({ labels: s.labels, value: s.sum, metricName: `${name}_sum` });
        values.push({ labels: s.labels, value: s.count, metricName: `${name}_count` });
      }
      return values;
    });
  }

  #metric(name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue<string>[]): Metric {
    const get = async (): Promise<MetricObjectWithValues<MetricValue<string>>> => ({ name, help, type, values: values(), aggregator: 'sum' } as never);
    return { name, help, type, aggregator: 'sum', get, reset: () => {} } as unknown as Metric;
  }
}
