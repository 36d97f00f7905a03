/**
 * How the gateway answers with an error: the HTTP status comes from the one error code table
 * (src/core/codes.ts) and the body is always `{ "error": { "code", "message", "details",
 * "remoteName" } }` (the last two when there are some), whether the error came from a service
 * across the mesh, from Fastify (bad media type, body too large), or from a user's own route that
 * called a typed client. `remoteName` is the class name of the error the service threw.
 */
import type { FastifyReply } from 'fastify';
import { httpStatusOf, type ErrorCode } from '../core/codes.js';
import { MeshError } from '../core/errors.js';

export interface ErrorBody {
  /** `remoteName`: the class name of the error a service threw (e.g. "TypeError"), when it came over the wire. */
  error: { code: ErrorCode; message: string; details?: unknown; remoteName?: string };
}

/** Error codes for HTTP statuses Fastify (or Node) raises on its own. */
const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  412: 'FAILED_PRECONDITION',
  413: 'RESOURCE_EXHAUSTED',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** An HTTP error with a mesh code, for statuses the code table does not give (413 for a body too large). */
export class HttpError extends MeshError {
  readonly statusCode: number;
  constructor(statusCode: number, code: ErrorCode, message: string, details?: unknown) {
    super(code, message, { details });
    this.statusCode = statusCode;
  }

  /** A named error (core/failures) answered with this HTTP status. */
  static of(statusCode: number, err: MeshError): HttpError {
    return new HttpError(statusCode, err.code, err.message, err.details);
  }
}

/** Status and body for any thrown value. */
export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) return { status: err.statusCode, body: bodyOf(err) };
  if (err instanceof MeshError) return { status: httpStatusOf(err.code), body: bodyOf(err) };
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 600) {
    const code = CODE_OF_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
    return { status, body: { error: { code, message: (err as Error).message ?? String(err) } } };
  }
  // A bug in a user route or in the gateway: say so without leaking internals.
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error in the gateway' } } };
}

function bodyOf(err: MeshError): ErrorBody {
  const error: ErrorBody['error'] = { code: err.code, message: err.message };
  if (err.details !== undefined) error.details = err.details;
  if (err.remoteName !== undefined) error.remoteName = err.remoteName;
  return { error };
}

export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, body } = errorResponse(err);
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}
