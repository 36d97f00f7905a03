/**
 * Named errors: meshrpc's own failures come from one registry (src/core/failures/), so their
 * words match across transports. This file scans src/ for a MeshError built from free text
 * anywhere else, and checks the registry's own rules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isErrorCode } from '../../src/core/codes.js';
import { MeshError } from '../../src/core/errors.js';
import { FailureAreas, Failures } from '../../src/core/failures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');

/** The only files that may call `new MeshError(...)` (or its gateway subclass `new HttpError(...)`), and why. */
const ALLOWED: Record<string, string> = {
  'src/core/errors.ts': 'MeshError itself: rebuilding a remote or thrown error from its own code and text (fromWire, from, processed)',
  'src/core/failures/named.ts': 'the registry: every named error is built here from its template',
  'src/transports/grpc/status.ts': "a gRPC status: its code varies and its text is what grpc-js or a foreign server said",
  'src/gateway/errors.ts': 'HttpError itself (public: a user route may build one); the gateway wraps named errors with HttpError.of',
};

const CONSTRUCTION = /new\s+(MeshError|HttpError)\s*\(/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** file:line of every `new MeshError(` in the given files outside the allowed ones. */
function freeTextSites(files: readonly string[]): string[] {
  const sites: string[] = [];
  for (const file of files) {
    const name = relative(ROOT, file).split('\\').join('/');
    if (name in ALLOWED) continue;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (CONSTRUCTION.test(line)) sites.push(`${name}:${i + 1}: ${line.trim()}`);
      CONSTRUCTION.lastIndex = 0;
    });
  }
  return sites;
}

describe('named errors', () => {
  it('src/ builds no MeshError (or HttpError) from free text outside the allowed files', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(100); // the scan reads the tree, not an empty directory
    expect(freeTextSites(files)).toEqual([]);
  });

  it('every allowed file exists and still needs its exception', () => {
    for (const file of Object.keys(ALLOWED)) {
      expect(readFileSync(join(ROOT, file), 'utf8'), file).toMatch(CONSTRUCTION);
    }
  });

  it('no name is defined in two areas (a later one would silently replace the earlier)', () => {
    const names = Object.values(FailureAreas).flatMap((area) => Object.keys(area));
    expect(names.length).toBe(new Set(names).size);
    expect(Object.keys(Failures).length).toBe(names.length);
  });

  it('every named error has a known code and builds a MeshError with that code', () => {
    for (const [name, failure] of Object.entries(Failures)) {
      expect(isErrorCode(failure.code), name).toBe(true);
    }
    const err = Failures.noResponders({ subject: 'meshrpc.default.greeter' });
    expect(err).toBeInstanceOf(MeshError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', notProcessed: true, message: 'no instance is serving "meshrpc.default.greeter"' });
  });

  it('details come from the parameters, and options given at the call site win', () => {
    const problems = [{ path: 'name', expected: 'string', got: 'number' }];
    expect(Failures.invalidArguments({ problems }).details).toEqual({ problems });
    expect(Failures.unknownMethod({ service: 's', method: 'm' }).details).toBeUndefined();
    expect(Failures.unknownMethod({ service: 's', method: 'm', methods: new Set(['a']) }).details).toEqual({ methods: ['a'] });
    const cause = new Error('socket');
    const overridden = Failures.brokerClosed({ broker: 'RabbitMQ' }, { notProcessed: false, cause });
    expect(overridden.notProcessed).toBe(false);
    expect(overridden.cause).toBe(cause);
    expect(Failures.brokerClosed({ broker: 'NATS' }).notProcessed).toBe(true);
  });
});
