/**
 * A compiler program for a project: its tsconfig.json when it has one, with the options our
 * reading depends on forced; and a type check of a whole project, for tests of generated code.
 * Runs on the compiler ts-morph bundles (pinned with it): the `typescript` package's 7.x line is
 * a native binary with no JavaScript API.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Project, ts } from 'ts-morph';

/** Version of the bundled compiler, for `--version` style reports. */
export const compilerVersion: string = ts.version;

/** A program over `files`, under the project's tsconfig.json when there is one. */
export function createProgram(root: string, files: readonly string[]): ts.Program {
  const tsconfig = path.join(root, 'tsconfig.json');
  // Our reading of optional properties depends on strictNullChecks, whatever the project says.
  const forced: ts.CompilerOptions = { strict: true, strictNullChecks: true, noEmit: true, skipLibCheck: true };
  const project = existsSync(tsconfig)
    ? new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true, compilerOptions: forced })
    : new Project({
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
          ...forced,
        },
      });
  for (const file of files) project.addSourceFileAtPath(file);
  return project.getProgram().compilerObject;
}

/**
 * Type-check the project a tsconfig.json describes, under its options and `overrides`.
 * Returns formatted diagnostics, `file:line: message` relative to the project; empty when clean.
 */
export function typeCheckProject(tsconfigPath: string, overrides: ts.CompilerOptions = {}): string[] {
  const project = new Project({ tsConfigFilePath: tsconfigPath, compilerOptions: overrides });
  const dir = path.dirname(tsconfigPath);
  return ts.getPreEmitDiagnostics(project.getProgram().compilerObject).map((d) => {
    const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${d.file ? rel(dir, d.file.fileName) : tsconfigPath}:${pos ? pos.line + 1 : 0}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

/**
 * A file as messages name it, with forward slashes: relative to the project root inside it,
 * absolute outside it (never empty, never a '../..' chain that reads as relative to the cwd).
 */
export function rel(root: string, file: string): string {
  const r = path.relative(root, file);
  if (r === '' || r.startsWith('..') || path.isAbsolute(r)) return file.split(path.sep).join('/');
  return r.split(path.sep).join('/');
}
