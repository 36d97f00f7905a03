/**
 * The version `meshrpc --version` prints: read at run time from meshrpc's own package.json,
 * found by walking up from this module. That works from src/cli/ in a checkout and from
 * dist/cli/ in an installed package, whatever the working directory is.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The version in the nearest package.json named "meshrpc" at or above `from`; undefined if none. */
export function packageVersion(from: string | URL = import.meta.url): string | undefined {
  let dir = path.dirname(typeof from === 'string' && !from.startsWith('file:') ? from : fileURLToPath(from));
  for (let i = 0; i < 32; i++) {
    const version = meshrpcVersionIn(path.join(dir, 'package.json'));
    if (version !== undefined) return version;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

function meshrpcVersionIn(file: string): string | undefined {
  let pkg: unknown;
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // absent or not JSON: keep walking up
  }
  const { name, version } = (pkg ?? {}) as { name?: unknown; version?: unknown };
  return name === 'meshrpc' && typeof version === 'string' ? version : undefined;
}
