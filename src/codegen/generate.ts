/**
 * From a file or folder to the generated files' contents: find sources, read the services
 * (compiler.ts), check the model's rules, and emit. Writes nothing; plan.ts decides what changes.
 * Any problem anywhere fails the whole run with one list (a CodegenError), so there is never
 * partial output.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { readServices, type SelectOptions } from './compiler/index.js';
import { emitTypeScript } from './emit.js';
import { CodegenError, type Problem, type SourceModel } from './model.js';
import { serviceNameOf, stemOf } from './names.js';
import { emitProto } from './proto.js';
import { checkRules } from './rules.js';

export interface GenerateOptions extends SelectOptions {
  /** Project root (paths in messages and the plan are relative to it). */
  root: string;
  /** Source file or folder (absolute, or relative to the root). */
  target: string;
  /** Write generated files into this folder instead of next to their source. */
  outDir?: string;
  /** Also emit a proto3 file per source. */
  proto?: boolean;
  /** Module the generated code imports the runtime from (default 'meshrpc/runtime'; see runtimeModule in emit.ts). */
  runtime?: string;
}

export interface GeneratedFile {
  /** Absolute path. */
  path: string;
  content: string;
}

export interface GenerateResult {
  files: GeneratedFile[];
  sources: SourceModel[];
}

const SKIP = /\.(mesh|test|spec)\.ts$|\.d\.ts$/;

/** The source files a target names: the file itself, or a folder's own .ts files (not generated or test files). */
export function sourceFiles(root: string, target: string): string[] {
  const abs = path.resolve(root, target);
  let stat;
  try {
    stat = statSync(abs);
  } catch {
    throw new CodegenError([], `meshrpc expose: ${target} does not exist`);
  }
  if (stat.isFile()) return [abs];
  return readdirSync(abs)
    .filter((f) => /\.(ts|mts|tsx)$/.test(f) && !SKIP.test(f))
    .sort()
    .map((f) => path.join(abs, f));
}

export function generate(options: GenerateOptions): GenerateResult {
  const root = path.resolve(options.root);
  const files = sourceFiles(root, options.target);
  const { sources, problems } = readServices({ ...options, root, files });
  for (const source of sources) problems.push(...checkRules(source));
  if (sources.length === 0 && problems.length === 0) {
    const what =
      options.interfaceName !== undefined
        ? `exported interface named ${options.interfaceName}`
        : options.module !== undefined
          ? `exported interface named ${options.module}Service`
          : 'exported interface whose name ends in Service';
    throw new CodegenError([], `meshrpc expose: found no ${what} in ${path.relative(root, path.resolve(root, options.target)) || '.'} (pick one with -M <module> or --interface <Name>)`);
  }
  problems.push(...nameClashes(sources, root));
  if (problems.length > 0) throw new CodegenError(problems);

  const out: GeneratedFile[] = [];
  const claimed = new Map<string, string>();
  const clashes: Problem[] = [];
  for (const source of sources) {
    const base = outputBase(source);
    const dir = options.outDir ? path.resolve(root, options.outDir) : path.dirname(source.file);
    const tsPath = path.join(dir, `${base}.mesh.ts`);
    const previous = claimed.get(tsPath);
    if (previous) {
      clashes.push({
        loc: source.services[0].loc,
        where: source.services[0].interfaceName,
        message: `generated file ${path.relative(root, tsPath)} would also be written for ${previous}`,
        hint: 'generate the two sources into different folders (--out) or rename one interface',
      });
      continue;
    }
    claimed.set(tsPath, path.relative(root, source.file));
    out.push({ path: tsPath, content: emitTypeScript(source, { outFile: tsPath, root, runtime: options.runtime }) });
    if (options.proto) out.push({ path: path.join(dir, `${base}.proto`), content: emitProto(source, { root }) });
  }
  if (clashes.length > 0) throw new CodegenError(clashes);
  return { files: out, sources };
}

/** `greeter` for a source with GreeterService; the source's own name when it holds several services. */
function outputBase(source: SourceModel): string {
  if (source.services.length === 1) return serviceNameOf(source.services[0].interfaceName) || stemOf(source.services[0].interfaceName);
  return path.basename(source.file).replace(/\.[^.]+$/, '');
}

/** Several services must differ in mesh name and in every generated identifier. */
function nameClashes(sources: readonly SourceModel[], root: string): Problem[] {
  const problems: Problem[] = [];
  const meshNames = new Map<string, string>();
  for (const source of sources) {
    const idents = new Map<string, string>();
    for (const s of source.services) {
      const other = meshNames.get(s.serviceName);
      if (other) {
        problems.push({ loc: s.loc, where: s.interfaceName, message: `service name "${s.serviceName}" is also used by ${other}`, hint: 'rename one interface, or generate them separately with -P' });
      } else meshNames.set(s.serviceName, s.interfaceName);
      const id = s.ident.toLowerCase();
      const clash = idents.get(id);
      if (clash) problems.push({ loc: s.loc, where: s.interfaceName, message: `generated names would clash with ${clash}'s (${s.ident}Spec, ...)`, hint: 'rename one interface' });
      else idents.set(id, s.interfaceName);
    }
  }
  void root;
  return problems;
}
