/**
 * MeshError: the one error class every layer throws and every transport carries.
 * A remote error keeps its code, message, original name and details across the wire,
 * so a caller can branch on `err.code` whatever transport carried the call.
 */
import { ErrorCodes, isErrorCode, type ErrorCode } from './codes.js';

export interface MeshErrorOptions {
  details?: unknown;
  /** The name of the error class that was thrown where the error began (e.g. "TypeError"). */
  remoteName?: string;
  cause?: unknown;
  /** Set when a call is known never to have reached a handler, so retrying elsewhere is safe. */
  notProcessed?: boolean;
}

/** What an error looks like on the wire, in every codec and transport. */
export interface WireError {
  code: ErrorCode;
  message: string;
  name?: string;
  details?: unknown;
}

export class MeshError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  readonly remoteName?: string;
  readonly notProcessed: boolean;

  constructor(code: ErrorCode, message: string, options: MeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeshError';
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
    if (options.remoteName !== undefined) this.remoteName = options.remoteName;
    this.notProcessed = options.notProcessed ?? false;
  }

  get retryable(): boolean {
    return ErrorCodes[this.code].retryable;
  }

  toWire(): WireError {
    const wire: WireError = { code: this.code, message: this.message };
    const name = this.remoteName ?? this.name;
    if (name) wire.name = name;
    if (this.details !== undefined) wire.details = this.details;
    return wire;
  }

  /**
   * An error that came over the wire, as the remote side described it. `local` adds what only
   * this side knows: the transport's own error as `cause`, or that the call never ran.
   */
  static fromWire(wire: unknown, local: Pick<MeshErrorOptions, 'cause' | 'notProcessed'> = {}): MeshError {
    if (!wire || typeof wire !== 'object') {
      return new MeshError('UNKNOWN', 'remote error without a body', local);
    }
    const w = wire as Partial<WireError>;
    const code = isErrorCode(w.code) ? w.code : 'UNKNOWN';
    const message = typeof w.message === 'string' ? w.message : 'remote error';
    return new MeshError(code, message, {
      ...local,
      details: w.details,
      remoteName: typeof w.name === 'string' ? w.name : undefined,
    });
  }

  /**
   * This error as one that no longer promises that nothing ran: what a handler throws, even
   * when it is the "not processed" failure of the handler's own call to another service.
   */
  processed(): MeshError {
    if (!this.notProcessed) return this;
    return new MeshError(this.code, this.message, { details: this.details, remoteName: this.remoteName, cause: this });
  }

  /**
   * Any thrown value as a MeshError. Plain errors thrown by a handler become UNKNOWN with
   * their name and message kept, so the caller sees e.g. `TypeError: x is undefined`.
   */
  static from(err: unknown): MeshError {
    if (err instanceof MeshError) return err;
    if (err instanceof Error) {
      const own = (err as { code?: unknown }).code;
      const code: ErrorCode = isErrorCode(own) ? own : 'UNKNOWN';
      return new MeshError(code, err.message, { remoteName: err.name, cause: err });
    }
    return new MeshError('UNKNOWN', String(err));
  }
}

export function isMeshError(err: unknown, code?: ErrorCode): err is MeshError {
  return err instanceof MeshError && (code === undefined || err.code === code);
}
