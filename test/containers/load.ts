/**
 * Steady load from the host through the gateway's published port: a few workers, each calling
 * GET <url> in turn with a short pause, every call bounded by its own timeout, the whole run
 * bounded in calls and in time. Each record says when the call ran, whether it succeeded and
 * which greeter answered ("Hello, x (from <hostname>)").
 */
export interface CallRecord {
  start: number;
  end: number;
  ok: boolean;
  /** The greeter's host name, from the reply. */
  from?: string;
  /** Status and body, or the client error, of a failed call. */
  error?: string;
}

export interface LoadOptions {
  workers?: number;
  /** Pause between one worker's calls, ms. */
  pauseMs?: number;
  /** A call still open after this long is aborted and counted as hung. */
  callTimeoutMs?: number;
  maxCalls?: number;
  maxMs?: number;
}

export const HUNG = 'hung';

export class Load {
  readonly records: CallRecord[] = [];
  #stopped = false;
  #done: Promise<void>;

  constructor(readonly url: string, readonly opts: LoadOptions = {}) {
    const { workers = 4, maxCalls = 20_000, maxMs = 120_000 } = opts;
    const deadline = Date.now() + maxMs;
    const more = () => !this.#stopped && this.records.length < maxCalls && Date.now() < deadline;
    this.#done = Promise.all(Array.from({ length: workers }, () => this.#worker(more))).then(() => {});
  }

  async #worker(more: () => boolean): Promise<void> {
    const { pauseMs = 20, callTimeoutMs = 10_000 } = this.opts;
    while (more()) {
      this.records.push(await call(this.url, callTimeoutMs));
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  /** Calls that started at or after `t` (ms since the epoch). */
  since(t: number): CallRecord[] {
    return this.records.filter((r) => r.start >= t);
  }

  /** Stop issuing calls and wait for the ones in flight. */
  async stop(): Promise<CallRecord[]> {
    this.#stopped = true;
    await this.#done;
    return this.records;
  }
}

/** One bounded call; never throws. */
export async function call(url: string, timeoutMs = 10_000): Promise<CallRecord> {
  const start = Date.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    const end = Date.now();
    if (!res.ok) return { start, end, ok: false, error: `${res.status} ${body.slice(0, 200)}` };
    return { start, end, ok: true, from: /\(from ([^)]+)\)/.exec(body)?.[1] };
  } catch (err) {
    const e = err as Error;
    return { start, end: Date.now(), ok: false, error: e.name === 'TimeoutError' ? HUNG : `${e.message} ${(e.cause as Error | undefined)?.message ?? ''}` };
  }
}

/** How many calls each greeter answered. */
export function byGreeter(records: CallRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) if (r.from) counts.set(r.from, (counts.get(r.from) ?? 0) + 1);
  return counts;
}

/** A one-line summary for the test log and deploy/README.md. */
export function summary(records: CallRecord[]): string {
  const failed = records.filter((r) => !r.ok);
  const slowest = records.reduce((m, r) => Math.max(m, r.end - r.start), 0);
  const span = records.length ? (Math.max(...records.map((r) => r.end)) - Math.min(...records.map((r) => r.start))) / 1000 : 0;
  return `${records.length} calls in ${span.toFixed(1)} s, ${failed.length} failed, slowest ${slowest} ms` +
    (failed.length ? ` (first failure: ${failed[0].error})` : '');
}
