/**
 * Errors over gRPC: a MeshError becomes a status whose code is the same number (the code table
 * follows gRPC's), whose details are the message, with the full WireError (name, details) as JSON
 * in the `meshrpc-error` trailer so meshrpc callers get everything back. Any other client sees a
 * plain, correct gRPC status.
 */
import { Metadata, status as Status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ErrorCodes, codeFromNumber } from '../../core/codes.js';
import { MeshError } from '../../core/errors.js';

export const ERROR_TRAILER = 'meshrpc-error';

export function toStatus(err: unknown): Partial<StatusObject> & { code: Status } {
  const e = MeshError.from(err);
  const metadata = new Metadata();
  metadata.set(ERROR_TRAILER, encodeURIComponent(JSON.stringify(e.toWire())));
  return { code: ErrorCodes[e.code].num as Status, details: e.message, metadata };
}

export function fromServiceError(err: ServiceError | Error): MeshError {
  const se = err as Partial<ServiceError>;
  if (typeof se.code !== 'number') return MeshError.from(err);
  const trailer = se.metadata?.get(ERROR_TRAILER)[0];
  if (typeof trailer === 'string') {
    try {
      return MeshError.fromWire(JSON.parse(decodeURIComponent(trailer)), { cause: err });
    } catch {
      // fall through to the status
    }
  }
  const code = codeFromNumber(se.code);
  // Statuses the client library makes up itself (no server reached) can be retried elsewhere.
  const notProcessed = code === 'UNAVAILABLE' && /No connection established|Connection refused|ECONNREFUSED/i.test(se.details ?? '');
  // A status grpc-js or a foreign server gave: its code maps onto ours and its text is what it said
  // (so no named error: the code varies and the words are not ours).
  return new MeshError(code, se.details || err.message, { cause: err, notProcessed });
}
