/**
 * The only module that touches the TypeScript compiler. It runs on the compiler ts-morph bundles
 * (pinned with it), because the `typescript` package's 7.x line is a native binary with no
 * JavaScript API. It reads service interfaces with the type checker and converts the *resolved*
 * types (generics instantiated, aliases and imports followed) into the wire-type model; anything
 * outside that model becomes a Problem with file:line and a hint, collected, never thrown one by one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Project, ts } from 'ts-morph';
import type { Loc, MethodModel, ParamModel, Problem, ServiceModel, SourceModel, TypeDef, TypeImport, TypeText, WireProp, WireType } from './model.js';
import { identOf, sanitizeIdent, serviceNameOf } from './names.js';

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

/** Version of the bundled compiler, for `--version` style reports. */
export const compilerVersion: string = ts.version;

/** Method names the generated client class uses itself. */
const RESERVED_METHODS = new Set(['with', 'constructor']);

function createProject(root: string, extra: ts.CompilerOptions = {}): Project {
  const tsconfig = path.join(root, 'tsconfig.json');
  // Our reading of optional properties depends on strictNullChecks, whatever the project says.
  const forced: ts.CompilerOptions = { strict: true, strictNullChecks: true, noEmit: true, skipLibCheck: true, ...extra };
  if (existsSync(tsconfig)) {
    return new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true, compilerOptions: forced });
  }
  return new Project({
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      ...forced,
    },
  });
}

export function readServices(options: ReadOptions): ReadResult {
  const project = createProject(options.root);
  for (const file of options.files) project.addSourceFileAtPath(file);
  const program = project.getProgram().compilerObject;
  const checker = program.getTypeChecker();
  const problems: Problem[] = [];
  const seenProblems = new Set<string>();
  const report = (p: Problem) => {
    const key = `${p.loc.file}:${p.loc.line}:${p.where}:${p.message}`;
    if (seenProblems.has(key)) return;
    seenProblems.add(key);
    problems.push(p);
  };

  const sources: SourceModel[] = [];
  for (const file of options.files) {
    const sf = program.getSourceFile(file);
    if (!sf) {
      report({ loc: { file: rel(options.root, file), line: 1 }, where: rel(options.root, file), message: 'file could not be read' });
      continue;
    }
    const reader = new Reader(checker, program, options.root, report);
    const services: ServiceModel[] = [];
    for (const decl of selectInterfaces(sf, options)) {
      const service = reader.readService(decl);
      if (service) services.push(service);
    }
    if (services.length > 0) sources.push({ file, services, defs: reader.defs });
  }

  problems.sort((a, b) => (a.loc.file < b.loc.file ? -1 : a.loc.file > b.loc.file ? 1 : a.loc.line - b.loc.line));
  const total = sources.reduce((n, s) => n + s.services.length, 0);
  if (options.serviceName !== undefined) {
    if (total > 1) {
      const first = sources[0].services[0];
      report({ loc: first.loc, where: '-P', message: `a service name was given but ${total} services were found`, hint: 'pick one with -M <module> or --interface <Name>' });
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

function rel(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

interface Ctx {
  node: ts.Node;
  where: string;
}

const F = ts.TypeFlags;

class Reader {
  readonly defs = new Map<string, TypeDef>();
  readonly #names = new Map<ts.Type, string>();
  readonly #checker: ts.TypeChecker;
  readonly #program: ts.Program;
  readonly #root: string;
  readonly #report: (p: Problem) => void;

  constructor(checker: ts.TypeChecker, program: ts.Program, root: string, report: (p: Problem) => void) {
    this.#checker = checker;
    this.#program = program;
    this.#root = root;
    this.#report = report;
  }

  loc(node: ts.Node): Loc {
    const sf = node.getSourceFile();
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    return { file: rel(this.#root, sf.fileName), line: line + 1 };
  }

  problem(ctx: Ctx, message: string, hint?: string): WireType {
    this.#report({ loc: this.loc(ctx.node), where: ctx.where, message, hint });
    return { kind: 'unknown' };
  }

  // ---- services ----------------------------------------------------------------------------

  readService(decl: ts.InterfaceDeclaration): ServiceModel | undefined {
    const checker = this.#checker;
    const name = decl.name.text;
    const ctx: Ctx = { node: decl, where: name };
    if (decl.typeParameters?.length) {
      this.problem(ctx, 'a service interface cannot be generic', 'expose a non-generic interface, e.g. `interface UserService extends Repo<User> {}`');
      return undefined;
    }
    const symbol = checker.getSymbolAtLocation(decl.name);
    if (!symbol) return undefined;
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const methods: MethodModel[] = [];
    for (const prop of checker.getPropertiesOfType(type)) {
      const method = this.readMethod(name, prop, decl);
      if (method) methods.push(method);
    }
    if (methods.length === 0 && checker.getPropertiesOfType(type).length === 0) {
      this.problem(ctx, 'the interface has no methods', 'declare at least one method, e.g. `greet(name: string): Promise<string>`');
    }
    return {
      interfaceName: name,
      interfaceFile: decl.getSourceFile().fileName,
      serviceName: serviceNameOf(name),
      ident: identOf(name),
      methods,
      loc: this.loc(decl),
      doc: docOf(symbol, checker),
    };
  }

  readMethod(iface: string, prop: ts.Symbol, fallback: ts.Node): MethodModel | undefined {
    const checker = this.#checker;
    const decl = prop.valueDeclaration ?? prop.declarations?.[0] ?? fallback;
    const ctx: Ctx = { node: decl, where: `${iface}.${prop.name}` };
    if (prop.name.startsWith('__@')) {
      this.problem(ctx, 'symbol-keyed members cannot be called over the wire', 'use a string method name');
      return undefined;
    }
    const type = checker.getTypeOfSymbol(prop);
    const signatures = checker.getSignaturesOfType(type, ts.SignatureKind.Call);
    if (signatures.length === 0) {
      this.problem(ctx, 'only methods can be exposed, this is a property', 'turn it into a method, e.g. `getVersion(): Promise<string>`');
      return undefined;
    }
    let ok = true;
    if (RESERVED_METHODS.has(prop.name)) {
      this.problem(ctx, `"${prop.name}" is reserved by the generated client`, 'rename the method');
      ok = false;
    }
    if (prop.flags & ts.SymbolFlags.Optional) {
      this.problem(ctx, 'optional methods cannot be exposed', 'make the method required');
      ok = false;
    }
    if (signatures.length > 1) {
      this.problem(ctx, `overloaded method (${signatures.length} signatures)`, 'calls carry named arguments, so one signature per method: use one signature with a union or optional parameters, or separate method names');
      return undefined;
    }
    const sig = signatures[0];
    if (sig.typeParameters?.length) {
      this.problem(ctx, `method with unbound type parameters <${sig.typeParameters.map((t) => t.symbol.name).join(', ')}>`, 'the wire needs concrete types: replace type parameters with the concrete types');
      return undefined;
    }
    const params: ParamModel[] = [];
    for (const p of sig.parameters) {
      const pdecl = p.valueDeclaration;
      const pctx: Ctx = { node: pdecl ?? decl, where: `${iface}.${prop.name}(${p.name})` };
      if (!pdecl || !ts.isParameter(pdecl)) {
        this.problem(pctx, 'parameter without a declaration');
        ok = false;
        continue;
      }
      if (pdecl.dotDotDotToken) {
        this.problem(pctx, 'rest parameters are not supported', 'calls carry named arguments: take an array parameter instead, e.g. `items: string[]`');
        ok = false;
        continue;
      }
      if (!ts.isIdentifier(pdecl.name)) {
        this.problem({ ...pctx, where: `${iface}.${prop.name}(parameter ${sig.parameters.indexOf(p) + 1})` }, 'destructured parameters have no name to send', 'name the parameter, e.g. `options: Options`');
        ok = false;
        continue;
      }
      const { type: wt, optional } = this.convertOptional(checker.getTypeOfSymbol(p), pctx);
      params.push({
        name: p.name,
        type: wt,
        optional: optional || checker.isOptionalParameter(pdecl),
        typeText: this.typeText(pdecl.type),
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
      const converted = this.convertOptional(awaited, rctx);
      result = converted.type;
      resultOptional = converted.optional && !containsNull(awaited);
    }
    if (!ok) return undefined;
    return {
      name: prop.name,
      params,
      result,
      resultOptional,
      resultText: this.resultText(returnNode, async),
      async,
      doc: docOf(prop, checker),
    };
  }

  // ---- types ---------------------------------------------------------------------------------

  /** Convert a property/parameter type, treating `| undefined` as optional. */
  convertOptional(type: ts.Type, ctx: Ctx): { type: WireType; optional: boolean } {
    if (type.flags & F.Union && !(type.flags & F.EnumLiteral) && !(type.flags & F.Boolean)) {
      const members = (type as ts.UnionType).types;
      const defined = members.filter((m) => !(m.flags & (F.Undefined | F.Void)));
      if (defined.length < members.length) {
        if (defined.length === 0) return { type: this.problem(ctx, 'type is only undefined', 'remove the parameter or property'), optional: true };
        return { type: this.convertMembers(defined, ctx, undefined), optional: true };
      }
    }
    if (type.flags & (F.Undefined | F.Void)) {
      return { type: this.problem(ctx, 'type is only undefined', 'remove the parameter or property'), optional: true };
    }
    return { type: this.convert(type, ctx, 0), optional: false };
  }

  convert(type: ts.Type, ctx: Ctx, depth: number): WireType {
    const checker = this.#checker;
    if (depth > 40) return this.problem(ctx, 'type nests too deeply', 'give recursive types a name (an interface or type alias)');
    const f = type.flags;
    if (f & (F.Any | F.Unknown)) {
      if ((type as { intrinsicName?: string }).intrinsicName === 'error') {
        return this.problem(ctx, 'type could not be resolved', 'check the import and that the project type-checks');
      }
      return { kind: 'unknown' };
    }
    if (f & F.TypeParameter) return this.problem(ctx, `unbound type parameter ${checker.typeToString(type)}`, 'use a concrete type');
    if (f & F.Never) return this.problem(ctx, 'type is never', 'nothing can be sent as never');
    if (f & (F.Undefined | F.Void)) return this.problem(ctx, 'undefined can only mark something optional', 'use `?` or `| undefined` next to a real type');
    if (f & F.Null) return { kind: 'null' };
    if (f & F.Boolean) return { kind: 'boolean' };
    if (f & F.Union && f & F.EnumLiteral && type.symbol && type.symbol.flags & ts.SymbolFlags.Enum) {
      return this.enumDef(type as ts.UnionType, ctx);
    }
    if (f & F.Union) {
      const alias = type.aliasSymbol;
      if (alias && !this.isLibSymbol(alias)) {
        return this.named(type, this.defName(alias.name, type.aliasTypeArguments), alias, () =>
          this.convertMembers((type as ts.UnionType).types, { node: declOf(alias) ?? ctx.node, where: alias.name }, alias),
        );
      }
      return this.convertMembers((type as ts.UnionType).types, ctx, undefined);
    }
    if (f & (F.StringLiteral | F.NumberLiteral)) return { kind: 'literal', value: (type as ts.LiteralType).value as string | number };
    if (f & F.BooleanLiteral) return { kind: 'literal', value: (type as { intrinsicName?: string }).intrinsicName === 'true' };
    if (f & F.String) return { kind: 'string' };
    if (f & F.Number) return { kind: 'number' };
    if (f & F.BigInt) return { kind: 'bigint' };
    if (f & F.BigIntLiteral) return this.problem(ctx, 'bigint literal types are not supported', 'use bigint');
    if (f & F.ESSymbolLike) return this.problem(ctx, 'symbols cannot travel over the wire', 'use a string');
    if (f & (F.TemplateLiteral | F.StringMapping)) return this.problem(ctx, 'template literal types are not supported', 'use string (or a union of string literals)');
    if (f & F.NonPrimitive) return this.problem(ctx, 'the `object` type says nothing about its contents', 'use an interface, or Record<string, unknown>');
    if (f & F.Intersection) return this.convertIntersection(type as ts.IntersectionType, ctx, depth);
    if (f & F.Object) return this.convertObject(type as ts.ObjectType, ctx, depth);
    if (f & F.Enum || f & F.EnumLiteral) return this.problem(ctx, 'unsupported enum type', 'use a string or numeric enum');
    return this.problem(ctx, `unsupported type ${checker.typeToString(type)}`);
  }

  convertMembers(types: readonly ts.Type[], ctx: Ctx, alias: ts.Symbol | undefined): WireType {
    const hasTrue = types.some((t) => t.flags & F.BooleanLiteral && !(t.flags & F.EnumLiteral) && (t as { intrinsicName?: string }).intrinsicName === 'true');
    const hasFalse = types.some((t) => t.flags & F.BooleanLiteral && !(t.flags & F.EnumLiteral) && (t as { intrinsicName?: string }).intrinsicName === 'false');
    const members: WireType[] = [];
    let booleanAdded = false;
    for (const t of types) {
      if (t.flags & (F.Undefined | F.Void)) {
        this.problem(ctx, 'undefined inside a union can only mark something optional', 'use an optional property or parameter');
        continue;
      }
      if (hasTrue && hasFalse && t.flags & F.BooleanLiteral) {
        if (!booleanAdded) members.push({ kind: 'boolean' });
        booleanAdded = true;
        continue;
      }
      members.push(this.convert(t, ctx, 1));
    }
    if (members.length === 1) return members[0];
    const union: WireType = { kind: 'union', members, loc: this.loc(ctx.node), where: alias?.name ?? ctx.where };
    const discriminant = this.discriminantOf(types.filter((t) => !(t.flags & F.Null)));
    if (discriminant !== undefined) union.discriminant = discriminant;
    return union;
  }

  /** The property whose literal type differs in every object member, if there is one. */
  discriminantOf(types: readonly ts.Type[]): string | undefined {
    const checker = this.#checker;
    if (types.length < 2 || !types.every((t) => t.flags & F.Object || t.flags & F.Intersection)) return undefined;
    if (types.some((t) => checker.isArrayType(t) || checker.isTupleType(t))) return undefined;
    for (const candidate of checker.getPropertiesOfType(types[0])) {
      const values = new Set<unknown>();
      let ok = true;
      for (const t of types) {
        const p = checker.getPropertyOfType(t, candidate.name);
        if (!p || p.flags & ts.SymbolFlags.Optional) {
          ok = false;
          break;
        }
        const pt = checker.getTypeOfSymbol(p);
        if (!(pt.flags & (F.StringLiteral | F.NumberLiteral | F.BooleanLiteral))) {
          ok = false;
          break;
        }
        const value = pt.flags & F.BooleanLiteral ? (pt as { intrinsicName?: string }).intrinsicName : (pt as ts.LiteralType).value;
        if (values.has(value)) {
          ok = false;
          break;
        }
        values.add(value);
      }
      if (ok) return candidate.name;
    }
    return undefined;
  }

  enumDef(type: ts.UnionType, ctx: Ctx): WireType {
    const symbol = type.symbol;
    return this.named(type, this.defName(symbol.name, undefined), symbol, () => {
      const enumMembers: { name: string; value: string | number }[] = [];
      const members: WireType[] = [];
      for (const m of type.types) {
        const value = (m as ts.LiteralType).value;
        if (typeof value !== 'string' && typeof value !== 'number') {
          this.problem(ctx, `enum member ${m.symbol?.name} has an unsupported value`);
          continue;
        }
        enumMembers.push({ name: m.symbol?.name ?? String(value), value });
        members.push({ kind: 'literal', value });
      }
      const def = this.defs.get(this.#names.get(type)!);
      if (def) def.enumMembers = enumMembers;
      return members.length === 1 ? members[0] : { kind: 'union', members };
    });
  }

  convertIntersection(type: ts.IntersectionType, ctx: Ctx, depth: number): WireType {
    // Branded primitives (`string & { __brand: 'UserId' }`) travel as the primitive.
    const primitives = type.types.filter((t) => t.flags & (F.String | F.Number | F.Boolean | F.BigInt | F.StringLiteral | F.NumberLiteral));
    if (primitives.length === 1) return this.convert(primitives[0], ctx, depth + 1);
    if (primitives.length > 1) return this.problem(ctx, `unsupported intersection ${this.#checker.typeToString(type)}`);
    return this.convertObject(type, ctx, depth);
  }

  convertObject(type: ts.Type, ctx: Ctx, depth: number): WireType {
    const checker = this.#checker;
    const symbol = type.getSymbol();
    if (symbol && this.isLibSymbol(symbol)) {
      if (symbol.name === 'Date') return { kind: 'date' };
      if (symbol.name === 'Uint8Array') return { kind: 'bytes' };
    }
    if (checker.isArrayType(type)) {
      return { kind: 'array', items: this.convert(checker.getTypeArguments(type as ts.TypeReference)[0], { ...ctx, where: `${ctx.where}[]` }, depth + 1) };
    }
    if (checker.isTupleType(type)) {
      const target = (type as ts.TypeReference).target as ts.TupleType;
      if (target.combinedFlags & ts.ElementFlags.Variable) {
        return this.problem(ctx, 'tuples with rest elements are not supported', 'use a fixed tuple or an array');
      }
      const args = checker.getTypeArguments(type as ts.TypeReference);
      const items = args.map((a, i) => {
        const optional = (target.elementFlags[i] & ts.ElementFlags.Optional) !== 0;
        const ictx = { ...ctx, where: `${ctx.where}[${i}]` };
        return optional ? this.convertOptional(a, ictx).type : this.convert(a, ictx, depth + 1);
      });
      return { kind: 'tuple', items, minItems: target.minLength };
    }
    if (checker.getSignaturesOfType(type, ts.SignatureKind.Call).length > 0) {
      return this.problem(ctx, 'function-typed values cannot travel over the wire', 'send data instead; for callbacks, expose another method and call it back');
    }
    if (checker.getSignaturesOfType(type, ts.SignatureKind.Construct).length > 0) {
      return this.problem(ctx, 'constructors cannot travel over the wire', 'send data instead');
    }
    if (symbol && symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class) && this.isLibSymbol(symbol)) {
      const hints: Record<string, string> = {
        Map: 'use Record<string, T>',
        Set: 'use T[]',
        Promise: 'only a method result may be a Promise',
        Buffer: 'use Uint8Array',
        ArrayBuffer: 'use Uint8Array',
        RegExp: 'send the pattern as a string',
        Error: 'throw a MeshError instead of returning an Error',
      };
      return this.problem(ctx, `${symbol.name} is not a data type the wire can carry`, hints[symbol.name] ?? 'use plain data: interfaces, arrays, Record<string, T>');
    }
    const alias = type.aliasSymbol && !this.isLibSymbol(type.aliasSymbol) ? type.aliasSymbol : undefined;
    const named = alias ?? (symbol && symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class) ? symbol : undefined);
    if (named) {
      const args = alias ? type.aliasTypeArguments : getObjectFlags(type) & ts.ObjectFlags.Reference ? checker.getTypeArguments(type as ts.TypeReference) : undefined;
      return this.named(type, this.defName(named.name, args), named, () =>
        this.objectBody(type, { node: declOf(named) ?? ctx.node, where: this.#names.get(type) ?? named.name }, named.flags & ts.SymbolFlags.Class ? named : undefined),
      );
    }
    return this.objectBody(type, ctx, undefined, depth);
  }

  objectBody(type: ts.Type, ctx: Ctx, classSymbol: ts.Symbol | undefined, depth = 0): WireType {
    const checker = this.#checker;
    const props: WireProp[] = [];
    const all = checker.getPropertiesOfType(type);
    if (classSymbol && all.some((p) => p.flags & ts.SymbolFlags.Method)) {
      return this.problem(ctx, `class ${classSymbol.name} has methods; class instances cannot travel (the receiver would get a plain object)`, 'describe the data with an interface and send that');
    }
    for (const prop of all) {
      const pdecl = prop.valueDeclaration ?? prop.declarations?.[0];
      const pctx: Ctx = { node: pdecl ?? ctx.node, where: `${ctx.where}.${prop.name}` };
      if (prop.name.startsWith('__@')) {
        this.problem(pctx, 'symbol-keyed properties cannot travel over the wire', 'use a string key');
        continue;
      }
      if (prop.flags & ts.SymbolFlags.Method) {
        this.problem(pctx, 'methods cannot travel over the wire', 'keep data types to data: move behaviour to the service');
        continue;
      }
      const { type: wt, optional } = this.convertOptionalDeep(checker.getTypeOfSymbol(prop), pctx, depth + 1);
      props.push({ name: prop.name, type: wt, optional: optional || (prop.flags & ts.SymbolFlags.Optional) !== 0 });
    }
    const object: WireType = { kind: 'object', props };
    for (const info of checker.getIndexInfosOfType(type)) {
      if (info.keyType.flags & F.String) {
        object.rest = this.convertOptionalDeep(info.type, { ...ctx, where: `${ctx.where}[key]` }, depth + 1).type;
      } else if (info.keyType.flags & F.Number) {
        if (!checker.getIndexInfoOfType(type, ts.IndexKind.String)) {
          this.problem(ctx, 'number-keyed index signatures are not supported (keys are strings on the wire)', 'use Record<string, T> or an array');
        }
      } else {
        this.problem(ctx, 'only string index signatures are supported', 'use Record<string, T>');
      }
    }
    return object;
  }

  convertOptionalDeep(type: ts.Type, ctx: Ctx, depth: number): { type: WireType; optional: boolean } {
    if (depth > 40) return { type: this.problem(ctx, 'type nests too deeply', 'give recursive types a name'), optional: false };
    return this.convertOptional(type, ctx);
  }

  /** Register a named definition once (so recursive types terminate) and return a ref to it. */
  named(type: ts.Type, baseName: string, symbol: ts.Symbol, build: () => WireType): WireType {
    const existing = this.#names.get(type);
    if (existing !== undefined) return { kind: 'ref', name: existing };
    let name = baseName;
    for (let n = 2; this.defs.has(name); n++) name = `${baseName}_${n}`;
    this.#names.set(type, name);
    const decl = declOf(symbol);
    const def: TypeDef = { name, type: { kind: 'unknown' }, loc: decl ? this.loc(decl) : { file: '?', line: 0 } };
    this.defs.set(name, def);
    def.type = build();
    return { kind: 'ref', name };
  }

  defName(base: string, args: readonly ts.Type[] | undefined): string {
    if (!args || args.length === 0) return sanitizeIdent(base);
    return sanitizeIdent(`${base}_${args.map((a) => this.#checker.typeToString(a)).join('_')}`);
  }

  isLibSymbol(symbol: ts.Symbol): boolean {
    const decls = symbol.declarations ?? [];
    return decls.length > 0 && decls.every((d) => this.isLibFile(d.getSourceFile()));
  }

  isLibFile(sf: ts.SourceFile): boolean {
    return this.#program.isSourceFileDefaultLibrary(sf) || /[\\/]node_modules[\\/]@types[\\/]node[\\/]/.test(sf.fileName);
  }

  // ---- readable annotations for the client ---------------------------------------------------

  resultText(node: ts.TypeNode | undefined, async: boolean): TypeText | undefined {
    if (!node) return undefined;
    if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && node.typeName.text === 'Promise' && node.typeArguments?.length === 1) {
      return this.typeText(node.typeArguments[0]);
    }
    return async ? undefined : this.typeText(node);
  }

  /** The source's annotation, if every name in it can be imported into the generated file. */
  typeText(node: ts.TypeNode | undefined): TypeText | undefined {
    if (!node) return undefined;
    const imports: TypeImport[] = [];
    let ok = true;
    const visit = (n: ts.Node): void => {
      if (!ok) return;
      if (ts.isTypeQueryNode(n) || ts.isImportTypeNode(n) || n.kind === ts.SyntaxKind.ThisType) {
        ok = false;
        return;
      }
      if (ts.isTypeReferenceNode(n)) {
        let id: ts.EntityName = n.typeName;
        while (ts.isQualifiedName(id)) id = id.left;
        const found = this.importFor(id, node);
        if (found === false) ok = false;
        else if (found) imports.push(found);
      }
      ts.forEachChild(n, visit);
    };
    visit(node);
    return ok ? { text: node.getText(node.getSourceFile()), imports } : undefined;
  }

  /** What to import for a name used in an annotation: null when global, false when impossible. */
  importFor(id: ts.Identifier, within: ts.TypeNode): TypeImport | null | false {
    const checker = this.#checker;
    const symbol = checker.getSymbolAtLocation(id);
    const decl = symbol?.declarations?.[0];
    if (!symbol || !decl) return false;
    if (symbol.flags & ts.SymbolFlags.TypeParameter) {
      return decl.getSourceFile() === within.getSourceFile() && decl.pos >= within.pos && decl.end <= within.end ? null : false;
    }
    if (symbol.flags & ts.SymbolFlags.Alias) {
      let moduleSpecifier: ts.Expression;
      let imported: string;
      if (ts.isImportSpecifier(decl)) {
        moduleSpecifier = decl.parent.parent.parent.moduleSpecifier;
        imported = (decl.propertyName ?? decl.name).text;
      } else if (ts.isImportClause(decl)) {
        moduleSpecifier = decl.parent.moduleSpecifier;
        imported = 'default';
      } else if (ts.isNamespaceImport(decl)) {
        moduleSpecifier = decl.parent.parent.moduleSpecifier;
        imported = '*';
      } else {
        return false;
      }
      if (!ts.isStringLiteral(moduleSpecifier)) return false;
      const spec = moduleSpecifier.text;
      if (!spec.startsWith('.')) return { local: id.text, imported, from: { pkg: spec } };
      const target = checker.getSymbolAtLocation(moduleSpecifier)?.valueDeclaration;
      if (!target || !ts.isSourceFile(target)) return false;
      return { local: id.text, imported, from: { file: target.fileName } };
    }
    const sf = decl.getSourceFile();
    if (this.isLibFile(sf) || !ts.isExternalModule(sf)) return null;
    if (/[\\/]node_modules[\\/]/.test(sf.fileName)) return false;
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    const exported = moduleSymbol ? checker.getExportsOfModule(moduleSymbol).find((e) => e.name === id.text) : undefined;
    if (!exported) return false;
    const resolved = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (resolved !== symbol) return false;
    return { local: id.text, imported: id.text, from: { file: sf.fileName } };
  }
}

function declOf(symbol: ts.Symbol): ts.Declaration | undefined {
  return symbol.valueDeclaration ?? symbol.declarations?.[0];
}

function getObjectFlags(type: ts.Type): ts.ObjectFlags {
  return type.flags & F.Object ? (type as ts.ObjectType).objectFlags : 0;
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

/**
 * Type-check files under `strict` with the bundled compiler (for tests of generated code).
 * Returns formatted diagnostics; empty when clean.
 */
export function typeCheck(root: string, files: readonly string[], paths?: Record<string, string[]>): string[] {
  const project = createProject(root, paths ? { paths } : {});
  for (const file of files) project.addSourceFileAtPath(file);
  const program = project.getProgram().compilerObject;
  const out: string[] = [];
  for (const file of files) {
    const sf = program.getSourceFile(file);
    if (!sf) {
      out.push(`${file}: not found`);
      continue;
    }
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    for (const d of diagnostics) {
      const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      out.push(`${rel(root, d.file?.fileName ?? file)}:${pos ? pos.line + 1 : 0}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return out;
}
