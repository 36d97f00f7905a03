/**
 * Request targets the gateway refuses before routing. Published handlers see the path after
 * `/<service>`, so a target that a server further on would read as another path is refused
 * here rather than trusted to be handled alike there: dot segments (`..`, `.`, and their
 * percent-encoded forms), encoded slashes and backslashes that a backend may decode into
 * separators, NUL, and any target that is not origin-form (`GET http://host/x`, `*`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse } from './errors.js';
import { Failures } from '../core/failures.js';

// Only a target holding one of these can be refused: the common request skips the walk.
const SUSPECT = /[%.\\]/;

/** Why `url` is refused, or undefined when it is a plain origin-form target. */
export function requestTargetProblem(url: string | undefined): string | undefined {
  if (!url || url.charCodeAt(0) !== 0x2f /* / */) return 'only origin-form request targets (a path starting with "/") are accepted';
  if (!SUSPECT.test(url)) return undefined;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path.includes('\\')) return 'backslashes are not accepted in paths';
  const lower = path.toLowerCase();
  if (lower.includes('%2f') || lower.includes('%5c')) return 'encoded slashes are not accepted in paths';
  if (lower.includes('%00')) return 'NUL is not accepted in paths';
  for (const segment of lower.split('/')) {
    const plain = segment.replaceAll('%2e', '.');
    if (plain === '.' || plain === '..') return 'dot segments ("." and "..", also percent-encoded) are not accepted in paths';
  }
  return undefined;
}

/** Wrap a Node request handler so refused targets get 400 INVALID_ARGUMENT before any routing. */
export function guardRequestTargets(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const problem = requestTargetProblem(req.url);
    if (problem === undefined) return handler(req, res);
    const { status, body } = errorResponse(Failures.requestTargetRefused({ problem }));
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
    res.end(JSON.stringify(body));
  };
}
