/**
 * The runtime's own version, apart from the package's: it changes only when what generated code
 * calls changes (a helper's signature, a spec field it fills). Each generated file calls
 * `assertRuntime` when imported, so a file from an incompatible generator fails at once with a
 * message that says to regenerate, instead of misbehaving on the first call.
 */
import { Failures } from '../core/failures.js';

/** The runtime generated code is written against; `meshrpc expose` emits it into every file. */
export const RUNTIME_VERSION = 1;

/** The oldest runtime version whose generated files this runtime still serves. */
export const OLDEST_SUPPORTED_RUNTIME = 1;

/**
 * Called at the top of every generated file: `runtime` is the version it was generated for,
 * `generator` the meshrpc version that generated it. Throws FAILED_PRECONDITION when this
 * runtime cannot serve the file.
 */
export function assertRuntime(runtime: number, generator: string): void {
  if (Number.isInteger(runtime) && runtime >= OLDEST_SUPPORTED_RUNTIME && runtime <= RUNTIME_VERSION) return;
  throw Failures.runtimeMismatch({ runtime, generator, current: RUNTIME_VERSION, oldest: OLDEST_SUPPORTED_RUNTIME });
}
