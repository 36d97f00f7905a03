/**
 * The nesting bound of type conversion: a value type nested deeper than MAX_DEPTH levels (an
 * anonymous object literal nested that far, or a generic type that expands into a new type at
 * every level) is refused with "type nests too deeply" naming where, and a type just within the
 * bound converts. The depth must be carried through properties, arrays and named types alike.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodegenError, generate } from '../../src/codegen/index.js';
import { MAX_DEPTH } from '../../src/codegen/compiler/index.js';

/** `{ a: { a: ... string ... } }` with `levels` properties. */
function nested(levels: number): string {
  return `${'{ a: '.repeat(levels)}string${' }'.repeat(levels)}`;
}

let project: string;
beforeAll(() => {
  project = mkdtempSync(path.join(tmpdir(), 'meshrpc-depth-'));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'depth', type: 'module' }));
  writeFileSync(
    path.join(project, 'deep.ts'),
    [
      `export interface TooDeepService {`,
      `  anonymous(v: ${nested(MAX_DEPTH + 1)}): Promise<void>;`,
      `}`,
      `export interface Box<T> { value: T; inner: Box<Box<T>> }`,
      `export interface ExpandingService {`,
      `  expanding(v: Box<string>): Promise<void>;`,
      `}`,
      `export interface Item { children: Item[]; list: ${nested(MAX_DEPTH - 2)}[] }`,
      `export interface DeepEnoughService {`,
      `  within(v: ${nested(MAX_DEPTH)}): Promise<void>;`,
      `  recursive(v: Item): Promise<Item>;`,
      `}`,
    ].join('\n'),
  );
});
afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

function problemsOf(interfaceName: string) {
  try {
    generate({ root: project, target: 'deep.ts', interfaceName });
    return [];
  } catch (e) {
    if (!(e instanceof CodegenError)) throw e;
    return e.problems.map((p) => `${p.loc.file}:${p.loc.line} ${p.where}: ${p.message}`);
  }
}

describe('the nesting bound', () => {
  it(`refuses an anonymous type nested ${MAX_DEPTH + 1} levels deep, naming where`, () => {
    const where = `TooDeepService.anonymous(v)${'.a'.repeat(MAX_DEPTH + 1)}`;
    expect(problemsOf('TooDeepService')).toEqual([`deep.ts:2 ${where}: type nests too deeply (more than ${MAX_DEPTH} levels)`]);
  });

  it('refuses a generic type that expands into a new type at every level', () => {
    // Box<string> -> Box<Box<string>> -> ...: both properties of the deepest Box are refused.
    const problems = problemsOf('ExpandingService');
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p).toMatch(/^deep\.ts:4 (Box_){40,}string\.(value|inner): type nests too deeply/);
  });

  it(`converts a type nested ${MAX_DEPTH} levels deep, and recursion through a name`, () => {
    expect(problemsOf('DeepEnoughService')).toEqual([]);
  });
});
