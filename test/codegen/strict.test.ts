/**
 * Generated code in a consumer's project: the committed generated files (the greeter example and
 * the type corpus) type-check in a project outside this repository that imports `meshrpc/runtime`
 * the way an installed package resolves it (its `exports`, declarations only), with the strictest
 * common settings and `skipLibCheck: false`, so the runtime's own .d.ts is checked too. Checked
 * with the repository's `tsc` (TypeScript 7, native) and with the compiler the generator runs on.
 * Also: a generated file from an incompatible generator fails at import, saying to regenerate.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshError } from '../../src/index.js';
import { typeCheckProject } from '../../src/codegen/compiler/index.js';
import { RUNTIME_VERSION, assertRuntime } from '../../src/runtime/index.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const tsc = path.join(repo, 'node_modules', '.bin', 'tsc');
const version = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;

/** The consumer's settings: `strict` and the flags issue 10 names (and noUnusedLocals, as test/fixtures/consumer has). */
const consumerOptions = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  noPropertyAccessFromIndexSignature: true,
  noUnusedParameters: true,
  noUnusedLocals: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: false,
  noEmit: true,
  types: ['node'],
};

/** Generated files and the sources they import, copied with their folders' layout. */
const copied: Record<string, string[]> = {
  greeter: ['examples/greeter/service.ts', 'examples/greeter/greeter.mesh.ts'],
  corpus: ['test/fixtures/codegen/corpus/shared.ts', 'test/fixtures/codegen/corpus/types.ts', 'test/fixtures/codegen/corpus/types.mesh.ts'],
};

describe('generated code in a strict consumer project', () => {
  let project: string;
  beforeAll(async () => {
    project = mkdtempSync(path.join(tmpdir(), 'meshrpc-strict-'));
    // meshrpc as installed: its package.json (exports) and declarations, no sources.
    const pkg = path.join(project, 'node_modules', 'meshrpc');
    mkdirSync(pkg, { recursive: true });
    copyFileSync(path.join(repo, 'package.json'), path.join(pkg, 'package.json'));
    await run(tsc, ['-p', path.join(repo, 'tsconfig.build.json'), '--declaration', '--emitDeclarationOnly', '--sourceMap', 'false', '--inlineSources', 'false', '--outDir', path.join(pkg, 'dist')], { cwd: repo });
    // Types the consumer would have installed itself (the corpus uses @opentelemetry/api's).
    for (const dep of ['@types', '@opentelemetry']) symlinkSync(path.join(repo, 'node_modules', dep), path.join(project, 'node_modules', dep), 'dir');
    for (const [dir, files] of Object.entries(copied)) {
      mkdirSync(path.join(project, dir));
      for (const f of files) copyFileSync(path.join(repo, f), path.join(project, dir, path.basename(f)));
    }
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: consumerOptions, include: Object.keys(copied) }, null, 2));
  }, 120_000);
  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('imports the runtime from meshrpc/runtime, with no @ts-nocheck', () => {
    for (const dir of Object.keys(copied)) {
      const generated = copied[dir]!.find((f) => f.endsWith('.mesh.ts'))!;
      const text = readFileSync(path.join(repo, generated), 'utf8');
      expect(text).toMatch(/^} from 'meshrpc\/runtime';$/m);
      expect(text).not.toMatch(/from 'meshrpc';/);
      expect(text).not.toContain('@ts-nocheck');
    }
  });

  it('type-checks with tsc (TypeScript 7) under strict and every consumer flag, skipLibCheck off', async () => {
    const result = await run(tsc, ['-p', project], { cwd: project }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
    );
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);

  // The declarations were checked above; checking @types/node again with TypeScript 6 costs ~40 s.
  it('type-checks with the generator\'s own compiler (TypeScript 6) under the same settings', () => {
    expect(typeCheckProject(path.join(project, 'tsconfig.json'), { skipLibCheck: true })).toEqual([]);
  }, 60_000);
});

describe('a generated file from an incompatible generator', () => {
  it('fails at import, naming both versions and saying to regenerate', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'meshrpc-runtime-'));
    try {
      const generated = readFileSync(path.join(repo, 'examples/greeter/greeter.mesh.ts'), 'utf8');
      const line = `assertRuntime(${RUNTIME_VERSION}, '${version}');`;
      expect(generated.split('\n')).toContain(line);
      copyFileSync(path.join(repo, 'examples/greeter/service.ts'), path.join(dir, 'service.ts'));
      writeFileSync(path.join(dir, 'future.mesh.ts'), generated.replace(line, `assertRuntime(${RUNTIME_VERSION + 1}, '99.0.0');`));
      const err = await import(pathToFileURL(path.join(dir, 'future.mesh.ts')).href).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MeshError);
      expect((err as MeshError).code).toBe('FAILED_PRECONDITION');
      expect((err as MeshError).message).toBe(
        `generated by meshrpc expose 99.0.0 for runtime ${RUNTIME_VERSION + 1}; this meshrpc has runtime ${RUNTIME_VERSION}: run \`meshrpc expose\` again`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes for the runtime this meshrpc has, and refuses older, newer and non-integer ones', () => {
    expect(() => assertRuntime(RUNTIME_VERSION, version)).not.toThrow();
    for (const other of [0, RUNTIME_VERSION + 1, 1.5, Number.NaN]) expect(() => assertRuntime(other, '0.0.1'), String(other)).toThrow(/run `meshrpc expose` again/);
  });
});
