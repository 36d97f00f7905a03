/**
 * How a named error is defined: its code, its message template and, where the failure has
 * them, its flags and structured details, written once (Fastify's lib/errors.js is the model).
 * This is the one place outside core/errors.ts that constructs a MeshError from a message.
 */
import type { ErrorCode } from '../codes.js';
import { MeshError, type MeshErrorOptions } from '../errors.js';

export interface NamedError<P> {
  (params: P, options?: MeshErrorOptions): MeshError;
  readonly code: ErrorCode;
  readonly message: (params: P) => string;
}

/** What every error of one name carries; options given at the call site win. */
export interface NamedDefaults<P> {
  /** True when this failure always happens before anything was sent (retrying elsewhere is safe). */
  notProcessed?: boolean;
  /** The data a program wants from the message (sizes, lists of problems), as `details`. */
  details?: (params: P) => unknown;
}

export function named<P = void>(code: ErrorCode, message: (params: P) => string, defaults: NamedDefaults<P> = {}): NamedError<P> {
  const create = (params: P, options?: MeshErrorOptions) => {
    const base: MeshErrorOptions = {};
    if (defaults.notProcessed !== undefined) base.notProcessed = defaults.notProcessed;
    const details = defaults.details?.(params);
    if (details !== undefined) base.details = details;
    return new MeshError(code, message(params), options ? { ...base, ...options } : base);
  };
  return Object.assign(create, { code, message });
}

/** `because` as the end of a message: ": <why>" when there is a why. */
export const because = (why: string | undefined) => (why ? `: ${why}` : '');
