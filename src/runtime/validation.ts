/**
 * Small helpers that generated validators and clients call: describing a bad value for a
 * ValidationProblem, prefixing nested problem paths (only when there are problems, so valid
 * calls build no strings), and merging per-call options the way `createClient` does.
 */
import type { ValidationProblem } from '../core/spec.js';

const MAX_SHOWN = 40;

/** What arrived, for `got`: `undefined` (missing), `null`, `array`, `object`, or a primitive with its value. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string': {
      const shown = value.length > MAX_SHOWN ? `${JSON.stringify(value.slice(0, MAX_SHOWN))}...` : JSON.stringify(value);
      return `string ${shown}`;
    }
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `bigint ${String(value)}`;
    default:
      return typeof value;
  }
}

/** Prefix the paths of problems[from..] with where the checked value sits. */
export function prefixPaths(problems: ValidationProblem[], from: number, prefix: string): void {
  for (let i = from; i < problems.length; i++) problems[i].path = prefix + problems[i].path;
}
