/**
 * Call counts and latency histograms by three labels (the gateway: service, method, status; a
 * mesh node: service, method, code), kept in plain nested Maps and exported to a prom-client
 * Registry as a counter or a histogram (the Registry formats them). An observation is three Map
 * lookups and a bucket scan, with no label objects built, checked or hashed: prom-client's
 * labelled histograms validate and hash the label set on every observation, which cost about a
 * tenth of a proxied gateway request. Fixed labels (a node's name) are added to every series.
 */
import type { Metric, MetricObjectWithValues, MetricValue, MetricValueWithName } from 'prom-client';

/** Latency buckets in seconds, shared by the gateway's and the nodes' histograms. */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Labels = Record<string, string | number>;

interface Series {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

export class RequestSeries {
  readonly #bounds: readonly number[];
  readonly #names: readonly [string, string, string];
  readonly #fixed: Labels;
  readonly #byFirst = new Map<string, Map<string, Map<string | number, Series>>>();
  readonly #all: Series[] = [];

  constructor(bounds: readonly number[] = LATENCY_BUCKETS, names: readonly [string, string, string] = ['service', 'method', 'status'], fixed: Labels = {}) {
    this.#bounds = bounds;
    this.#names = names;
    this.#fixed = fixed;
  }

  observe(a: string, b: string, c: string | number, seconds: number): void {
    let byB = this.#byFirst.get(a);
    if (!byB) this.#byFirst.set(a, (byB = new Map()));
    let byC = byB.get(b);
    if (!byC) byB.set(b, (byC = new Map()));
    let s = byC.get(c);
    if (!s) {
      const [na, nb, nc] = this.#names;
      s = { labels: { ...this.#fixed, [na]: a, [nb]: b, [nc]: String(c) }, counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0, count: 0 };
      byC.set(c, s);
      this.#all.push(s);
    }
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++; // Prometheus buckets are "less or equal"
    s.counts[i]++;
    s.sum += seconds;
    s.count++;
  }

  /** Sum of every series' count (for tests and summaries). */
  get total(): number {
    let n = 0;
    for (const s of this.#all) n += s.count;
    return n;
  }

  /** The counter of observations, for Registry.registerMetric. */
  counter(name: string, help: string): Metric {
    return seriesCounter(name, help, () => [this]);
  }

  /** The latency histogram (cumulative buckets, +Inf, _sum, _count), for Registry.registerMetric. */
  histogram(name: string, help: string): Metric {
    return seriesHistogram(name, help, () => [this]);
  }

  counterValues(): MetricValue<string>[] {
    return this.#all.map((s) => ({ labels: s.labels, value: s.count }));
  }

  histogramValues(name: string): MetricValueWithName<string>[] {
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
  }
}

/** A counter over the series `sources()` yields at scrape time (one per node, say). */
export function seriesCounter(name: string, help: string, sources: () => Iterable<RequestSeries>): Metric {
  return collected(name, help, 'counter', () => [...sources()].flatMap((s) => s.counterValues()));
}

/** A histogram over the series `sources()` yields at scrape time. */
export function seriesHistogram(name: string, help: string, sources: () => Iterable<RequestSeries>): Metric {
  return collected(name, help, 'histogram', () => [...sources()].flatMap((s) => s.histogramValues(name)));
}

/** A metric whose values are computed at scrape time, in the shape Registry.registerMetric takes. */
export function collected(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => MetricValue<string>[]): Metric {
  const get = async (): Promise<MetricObjectWithValues<MetricValue<string>>> => ({ name, help, type, values: values(), aggregator: 'sum' } as never);
  return { name, help, type, aggregator: 'sum', get, reset: () => {} } as unknown as Metric;
}
