/**
 * The one table of error codes. Names and numbers follow gRPC's status codes so that every
 * transport (mesh, gRPC, NATS, HTTP) maps them the same way; the HTTP status is what the
 * gateway answers with, and `retryable` says whether a caller may safely try again.
 */
export const ErrorCodes = {
  OK: { num: 0, http: 200, retryable: false },
  CANCELLED: { num: 1, http: 499, retryable: false },
  UNKNOWN: { num: 2, http: 500, retryable: false },
  INVALID_ARGUMENT: { num: 3, http: 400, retryable: false },
  DEADLINE_EXCEEDED: { num: 4, http: 504, retryable: false },
  NOT_FOUND: { num: 5, http: 404, retryable: false },
  ALREADY_EXISTS: { num: 6, http: 409, retryable: false },
  PERMISSION_DENIED: { num: 7, http: 403, retryable: false },
  RESOURCE_EXHAUSTED: { num: 8, http: 429, retryable: false },
  FAILED_PRECONDITION: { num: 9, http: 412, retryable: false },
  ABORTED: { num: 10, http: 409, retryable: true },
  OUT_OF_RANGE: { num: 11, http: 400, retryable: false },
  UNIMPLEMENTED: { num: 12, http: 501, retryable: false },
  INTERNAL: { num: 13, http: 500, retryable: false },
  UNAVAILABLE: { num: 14, http: 503, retryable: true },
  DATA_LOSS: { num: 15, http: 500, retryable: false },
  UNAUTHENTICATED: { num: 16, http: 401, retryable: false },
} as const satisfies Record<string, { num: number; http: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ErrorCodes;

const byNumber = new Map<number, ErrorCode>(
  (Object.keys(ErrorCodes) as ErrorCode[]).map((code) => [ErrorCodes[code].num, code]),
);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

/** The code for a gRPC-style number; anything unknown becomes UNKNOWN. */
export function codeFromNumber(num: number): ErrorCode {
  return byNumber.get(num) ?? 'UNKNOWN';
}

export function httpStatusOf(code: ErrorCode): number {
  return ErrorCodes[code].http;
}
