/**
 * Metadata and deadlines on header-carrying wires (NATS, RabbitMQ, Kafka, gRPC), read and written
 * one way. Metadata entries travel as `<prefix><key>` headers; values are text (a broker may hand
 * back a Buffer or an array of them). Keys are the peer's to choose, so entries are added with
 * setMetadata (a `__proto__` key is an entry like any other).
 */
import { setMetadata, type Metadata } from '../core/context.js';

/** A header value as text: Buffers decoded, the first of an array, nothing for null. */
export function headerText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return headerText(v[0]);
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

/**
 * The metadata in a header list (its names, and how to get a value): entries whose name starts
 * with `prefix` (case-insensitive), the prefix cut off. With an empty prefix, `accept` says which
 * headers are the caller's own.
 */
export function readMetadata(keys: Iterable<string>, get: (key: string) => unknown, prefix: string, accept?: (key: string) => boolean): Metadata {
  const md: Metadata = {};
  const n = prefix.length;
  for (const key of keys) {
    if (n > 0 && (key.length < n || key.slice(0, n).toLowerCase() !== prefix)) continue;
    if (accept && !accept(key)) continue;
    const text = headerText(get(key));
    if (text !== undefined) setMetadata(md, key.slice(n), text);
  }
  return md;
}

/** Write metadata as `<prefix><key>` headers through `set`. */
export function writeMetadata(metadata: Metadata | undefined, prefix: string, set: (key: string, value: string) => void): void {
  if (!metadata) return;
  for (const key of Object.keys(metadata)) set(prefix + key, metadata[key]);
}

/** A relative timeout header (ms left, digits only) as an absolute deadline, or undefined. */
export function deadlineFromTimeout(text: string | undefined, now = Date.now()): number | undefined {
  return text && /^\d+$/.test(text) ? now + Number(text) : undefined;
}

/** An absolute deadline header (epoch ms) as a deadline, or undefined when missing or not positive. */
export function deadlineFromEpoch(text: string | undefined): number | undefined {
  const d = Number(text);
  return text && Number.isFinite(d) && d > 0 ? d : undefined;
}
