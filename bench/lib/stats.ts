/** Small helpers shared by the benchmarks: percentiles, bounded loops, tables. */

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** BENCH_ROUNDS: how many interleaved rounds a suite runs before taking medians (default 3). */
export const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

export interface LatencyResult {
  p50: number;
  p99: number;
  calls: number;
}

/** Sequential calls (concurrency 1) for at most `ms` milliseconds or `max` calls; latencies in µs. */
export async function measureLatency(call: () => Promise<unknown>, ms: number, max = 200_000): Promise<LatencyResult> {
  const samples: number[] = [];
  const until = performance.now() + ms;
  while (samples.length < max && performance.now() < until) {
    const t = performance.now();
    await call();
    samples.push((performance.now() - t) * 1000);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), calls: samples.length };
}

/** `concurrency` loops of calls for `ms` milliseconds (bounded by `max` calls in all); calls per second. */
export async function measureThroughput(call: () => Promise<unknown>, concurrency: number, ms: number, max = 5_000_000): Promise<number> {
  let done = 0;
  const start = performance.now();
  const until = start + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (done < max && performance.now() < until) {
        await call();
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  console.table(rows);
}
