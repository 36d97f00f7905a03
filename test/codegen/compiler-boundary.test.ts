/**
 * All compiler access stays in one module (docs/CODEGEN.md): only src/codegen/compiler/ imports
 * ts-morph, and the rest of the code reaches that folder through its index only. Replacing the
 * compiler then means rewriting that folder and nothing else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../../src/', import.meta.url));
const compilerDir = path.join(src, 'codegen', 'compiler');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Module specifiers a file imports or re-exports. */
function specifiers(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
}

describe('the compiler module boundary', () => {
  const outside = tsFiles(src).filter((f) => !f.startsWith(compilerDir + path.sep));

  it('has ts-morph imported only inside src/codegen/compiler/', () => {
    const offenders = outside.filter((f) => specifiers(f).some((s) => s === 'ts-morph' || s === 'typescript'));
    expect(offenders.map((f) => path.relative(src, f))).toEqual([]);
    expect(tsFiles(compilerDir).filter((f) => specifiers(f).includes('ts-morph')).length).toBeGreaterThan(0);
  });

  it('is entered through its index only', () => {
    const offenders = outside.filter((f) =>
      specifiers(f).some((s) => s.startsWith('.') && path.resolve(path.dirname(f), s).startsWith(compilerDir + path.sep) && !s.endsWith('compiler/index.js')),
    );
    expect(offenders.map((f) => path.relative(src, f))).toEqual([]);
  });
});
