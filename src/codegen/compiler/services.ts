/**
 * Service interfaces → ServiceModels: which interfaces a run exposes, and for each method its
 * named parameters, result and docs, with every rule a callable method must meet (no overloads,
 * rest or destructured parameters, optional methods, unbound type parameters, reserved names).
 * Types are converted by types.ts, annotations for the client read by annotations.ts.
 */
import { ts } from 'ts-morph';
import type { MethodModel, ParamModel, Problem, ServiceModel, SourceModel, WireType } from '../model.js';
import { identOf, serviceNameOf } from '../names.js';
import { resultText, typeText } from './annotations.js';
import { ReadContext, type Ctx } from './context.js';
import { createProgram, rel } from './project.js';
import { TypeConverter } from './types.js';

export interface SelectOptions {
  /** Expose exactly this interface. */
  interfaceName?: string;
  /** Expose `${module}Service`. */
  module?: string;
  /** The service's name on the mesh; only when one service is exposed. */
  serviceName?: string;
}

export interface ReadOptions extends SelectOptions {
  /** Project root: paths in messages are relative to it; its tsconfig.json is used when present. */
  root: string;
  /** Absolute paths of the source files to read. */
  files: readonly string[];
}

export interface ReadResult {
  sources: SourceModel[];
  problems: Problem[];
}

/** Method names the generated client class uses itself. */
const RESERVED_METHODS = new Set(['with', 'constructor']);

const F = ts.TypeFlags;

export function readServices(options: ReadOptions): ReadResult {
  const program = createProgram(options.root, options.files);
  const problems: Problem[] = [];
  const seenProblems = new Set<string>();
  const rc = new ReadContext(program, options.root, (p) => {
    const key = `${p.loc.file}:${p.loc.line}:${p.where}:${p.message}`;
    if (seenProblems.has(key)) return;
    seenProblems.add(key);
    problems.push(p);
  });

  const sources: SourceModel[] = [];
  for (const file of options.files) {
    const sf = program.getSourceFile(file);
    if (!sf) {
      problems.push({ loc: { file: rel(options.root, file), line: 1 }, where: rel(options.root, file), message: 'file could not be read' });
      continue;
    }
    const types = new TypeConverter(rc);
    const services: ServiceModel[] = [];
    for (const decl of selectInterfaces(sf, options)) {
      const service = readService(rc, types, decl);
      if (service) services.push(service);
    }
    if (services.length > 0) sources.push({ file, services, defs: types.defs });
  }

  problems.sort((a, b) => (a.loc.file < b.loc.file ? -1 : a.loc.file > b.loc.file ? 1 : a.loc.line - b.loc.line));
  const total = sources.reduce((n, s) => n + s.services.length, 0);
  if (options.serviceName !== undefined) {
    if (total > 1) {
      const first = sources[0].services[0];
      problems.push({ loc: first.loc, where: '-P', message: `a service name was given but ${total} services were found`, hint: 'pick one with -M <module> or --interface <Name>' });
    } else if (total === 1) {
      sources[0].services[0].serviceName = options.serviceName;
    }
  }
  return { sources, problems };
}

function selectInterfaces(sf: ts.SourceFile, options: SelectOptions): ts.InterfaceDeclaration[] {
  const wanted = (name: string) => {
    if (options.interfaceName !== undefined) return name === options.interfaceName;
    if (options.module !== undefined) return name === `${options.module}Service`;
    return name.endsWith('Service');
  };
  return sf.statements.filter(
    (s): s is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(s) &&
      (ts.getCombinedModifierFlags(s) & ts.ModifierFlags.Export) !== 0 &&
      wanted(s.name.text),
  );
}

function readService(rc: ReadContext, types: TypeConverter, decl: ts.InterfaceDeclaration): ServiceModel | undefined {
  const checker = rc.checker;
  const name = decl.name.text;
  const ctx: Ctx = { node: decl, where: name };
  if (decl.typeParameters?.length) {
    rc.problem(ctx, 'a service interface cannot be generic', 'expose a non-generic interface, e.g. `interface UserService extends Repo<User> {}`');
    return undefined;
  }
  const symbol = checker.getSymbolAtLocation(decl.name);
  if (!symbol) return undefined;
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  const methods: MethodModel[] = [];
  for (const prop of checker.getPropertiesOfType(type)) {
    const method = readMethod(rc, types, name, prop, decl);
    if (method) methods.push(method);
  }
  if (methods.length === 0 && checker.getPropertiesOfType(type).length === 0) {
    rc.problem(ctx, 'the interface has no methods', 'declare at least one method, e.g. `greet(name: string): Promise<string>`');
  }
  return {
    interfaceName: name,
    interfaceFile: decl.getSourceFile().fileName,
    serviceName: serviceNameOf(name),
    ident: identOf(name),
    methods,
    loc: rc.loc(decl),
    doc: docOf(symbol, checker),
  };
}

function readMethod(rc: ReadContext, types: TypeConverter, iface: string, prop: ts.Symbol, fallback: ts.Node): MethodModel | undefined {
  const checker = rc.checker;
  const decl = prop.valueDeclaration ?? prop.declarations?.[0] ?? fallback;
  const ctx: Ctx = { node: decl, where: `${iface}.${prop.name}` };
  if (prop.name.startsWith('__@')) {
    rc.problem(ctx, 'symbol-keyed members cannot be called over the wire', 'use a string method name');
    return undefined;
  }
  const type = checker.getTypeOfSymbol(prop);
  const signatures = checker.getSignaturesOfType(type, ts.SignatureKind.Call);
  if (signatures.length === 0) {
    rc.problem(ctx, 'only methods can be exposed, this is a property', 'turn it into a method, e.g. `getVersion(): Promise<string>`');
    return undefined;
  }
  let ok = true;
  if (RESERVED_METHODS.has(prop.name)) {
    rc.problem(ctx, `"${prop.name}" is reserved by the generated client`, 'rename the method');
    ok = false;
  }
  if (prop.flags & ts.SymbolFlags.Optional) {
    rc.problem(ctx, 'optional methods cannot be exposed', 'make the method required');
    ok = false;
  }
  if (signatures.length > 1) {
    rc.problem(ctx, `overloaded method (${signatures.length} signatures)`, 'calls carry named arguments, so one signature per method: use one signature with a union or optional parameters, or separate method names');
    return undefined;
  }
  const sig = signatures[0];
  if (sig.typeParameters?.length) {
    rc.problem(ctx, `method with unbound type parameters <${sig.typeParameters.map((t) => t.symbol.name).join(', ')}>`, 'the wire needs concrete types: replace type parameters with the concrete types');
    return undefined;
  }
  const params: ParamModel[] = [];
  for (const p of sig.parameters) {
    const pdecl = p.valueDeclaration;
    const pctx: Ctx = { node: pdecl ?? decl, where: `${iface}.${prop.name}(${p.name})` };
    if (!pdecl || !ts.isParameter(pdecl)) {
      rc.problem(pctx, 'parameter without a declaration');
      ok = false;
      continue;
    }
    if (pdecl.dotDotDotToken) {
      rc.problem(pctx, 'rest parameters are not supported', 'calls carry named arguments: take an array parameter instead, e.g. `items: string[]`');
      ok = false;
      continue;
    }
    if (!ts.isIdentifier(pdecl.name)) {
      rc.problem({ ...pctx, where: `${iface}.${prop.name}(parameter ${sig.parameters.indexOf(p) + 1})` }, 'destructured parameters have no name to send', 'name the parameter, e.g. `options: Options`');
      ok = false;
      continue;
    }
    const { type: wt, optional } = types.convertOptional(checker.getTypeOfSymbol(p), pctx, 0);
    params.push({
      name: p.name,
      type: wt,
      optional: optional || checker.isOptionalParameter(pdecl),
      typeText: typeText(rc, pdecl.type),
    });
  }
  const returnNode = sig.declaration && !ts.isJSDocSignature(sig.declaration) ? sig.declaration.type : undefined;
  const returnType = sig.getReturnType();
  const async = isPromise(returnType);
  const awaited = checker.getAwaitedType(returnType) ?? returnType;
  const rctx: Ctx = { node: returnNode ?? decl, where: `${iface}.${prop.name}() result` };
  let result: WireType;
  let resultOptional = false;
  if (awaited.flags & (F.Void | F.Undefined)) {
    result = { kind: 'void' };
  } else {
    const converted = types.convertOptional(awaited, rctx, 0);
    result = converted.type;
    resultOptional = converted.optional && !containsNull(awaited);
  }
  if (!ok) return undefined;
  return {
    name: prop.name,
    params,
    result,
    resultOptional,
    resultText: resultText(rc, returnNode, async),
    async,
    doc: docOf(prop, checker),
  };
}

function isPromise(type: ts.Type): boolean {
  return type.getSymbol()?.name === 'Promise';
}

function containsNull(type: ts.Type): boolean {
  if (type.flags & F.Null) return true;
  return type.flags & F.Union ? (type as ts.UnionType).types.some((t) => (t.flags & F.Null) !== 0) : false;
}

function docOf(symbol: ts.Symbol, checker: ts.TypeChecker): string | undefined {
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  return text.length > 0 ? text : undefined;
}
