/**
 * Wire forms of the values JSON cannot carry as themselves, defined once for every codec so a
 * call round-trips identically over JSON and MessagePack (docs/TYPES.md):
 *
 *   Date        an RFC 3339 / ISO-8601 string in UTC, `2024-05-01T12:00:00.000Z`
 *   Uint8Array  a standard base64 string (with padding)
 *   bigint      a decimal string, `-123`
 *
 * Generated code (meshrpc expose) converts before encoding and after validating, so handlers
 * and callers only ever see the real types.
 */

const ISO_DATE = /^([+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BIGINT = /^-?(0|[1-9][0-9]*)$/;

export function dateToWire(value: Date): string {
  return value.toISOString();
}

export function dateFromWire(value: string): Date {
  return new Date(value);
}

export function isWireDate(value: unknown): boolean {
  return typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value));
}

export function bytesToWire(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
}

/** A plain Uint8Array (not a Buffer view on pooled memory), so receivers see exactly the declared type. */
export function bytesFromWire(value: string): Uint8Array {
  const buf = Buffer.from(value, 'base64');
  const out = new Uint8Array(buf.length);
  out.set(buf);
  return out;
}

export function isWireBytes(value: unknown): boolean {
  return typeof value === 'string' && BASE64.test(value);
}

export function bigintToWire(value: bigint): string {
  return value.toString();
}

export function bigintFromWire(value: string): bigint {
  return BigInt(value);
}

export function isWireBigInt(value: unknown): boolean {
  return typeof value === 'string' && BIGINT.test(value);
}
