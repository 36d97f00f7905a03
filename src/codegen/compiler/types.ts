/**
 * Resolved compiler types → the wire-type model. Types come from the checker (generics
 * instantiated, aliases and imports followed), never from syntax. Named types (interfaces,
 * classes, aliases, enums) become one TypeDef each and a `ref` to it, so recursive types
 * terminate; anything outside the model becomes a Problem and converts as `unknown`.
 *
 * Depth is the nesting of the value a caller sends, counted from the method's parameter or
 * result: every array or tuple element, property and index-signature value is one level deeper
 * (a union member, a named type's body or a brand is the same value, so the same level). It is
 * carried through every step, named types included, so a type that keeps expanding into new
 * types (`interface Box<T> { inner: Box<Box<T>> }`) stops with a problem instead of looping.
 */
import { ts } from 'ts-morph';
import type { TypeDef, WireProp, WireType } from '../model.js';
import { sanitizeIdent } from '../names.js';
import { declOf, type Ctx, type ReadContext } from './context.js';

const F = ts.TypeFlags;

/** Deeper than this, a value's type is refused: no real data nests so far, an endless expansion does. */
export const MAX_DEPTH = 40;

export class TypeConverter {
  /** Every named type met so far, by the name the generated code gives it. */
  readonly defs = new Map<string, TypeDef>();
  readonly #names = new Map<ts.Type, string>();
  readonly #rc: ReadContext;

  constructor(rc: ReadContext) {
    this.#rc = rc;
  }

  /** Convert a property/parameter/result type, treating `| undefined` as optional. */
  convertOptional(type: ts.Type, ctx: Ctx, depth: number): { type: WireType; optional: boolean } {
    if (type.flags & F.Union && !(type.flags & F.EnumLiteral) && !(type.flags & F.Boolean)) {
      const members = (type as ts.UnionType).types;
      const defined = members.filter((m) => !(m.flags & (F.Undefined | F.Void)));
      if (defined.length < members.length) {
        if (defined.length === 0) return { type: this.#rc.problem(ctx, 'type is only undefined', 'remove the parameter or property'), optional: true };
        return { type: this.#members(defined, ctx, undefined, depth), optional: true };
      }
    }
    if (type.flags & (F.Undefined | F.Void)) {
      return { type: this.#rc.problem(ctx, 'type is only undefined', 'remove the parameter or property'), optional: true };
    }
    return { type: this.convert(type, ctx, depth), optional: false };
  }

  convert(type: ts.Type, ctx: Ctx, depth: number): WireType {
    const rc = this.#rc;
    const checker = rc.checker;
    if (depth > MAX_DEPTH) {
      return rc.problem(ctx, `type nests too deeply (more than ${MAX_DEPTH} levels)`, 'flatten the data, or let a recursive generic type recur with the same arguments (`Box<T>`, not `Box<Box<T>>`)');
    }
    const f = type.flags;
    if (f & (F.Any | F.Unknown)) {
      if ((type as { intrinsicName?: string }).intrinsicName === 'error') {
        return rc.problem(ctx, 'type could not be resolved', 'check the import and that the project type-checks');
      }
      return { kind: 'unknown' };
    }
    if (f & F.TypeParameter) return rc.problem(ctx, `unbound type parameter ${checker.typeToString(type)}`, 'use a concrete type');
    if (f & F.Never) return rc.problem(ctx, 'type is never', 'nothing can be sent as never');
    if (f & (F.Undefined | F.Void)) return rc.problem(ctx, 'undefined can only mark something optional', 'use `?` or `| undefined` next to a real type');
    if (f & F.Null) return { kind: 'null' };
    if (f & F.Boolean) return { kind: 'boolean' };
    if (f & F.Union && f & F.EnumLiteral && type.symbol && type.symbol.flags & ts.SymbolFlags.Enum) {
      return this.#enum(type as ts.UnionType, ctx);
    }
    if (f & F.Union) {
      const alias = type.aliasSymbol;
      if (alias && !rc.isLibSymbol(alias)) {
        return this.#named(type, this.#defName(alias.name, type.aliasTypeArguments), alias, () =>
          this.#members((type as ts.UnionType).types, { node: declOf(alias) ?? ctx.node, where: alias.name }, alias, depth),
        );
      }
      return this.#members((type as ts.UnionType).types, ctx, undefined, depth);
    }
    if (f & (F.StringLiteral | F.NumberLiteral)) return { kind: 'literal', value: (type as ts.LiteralType).value as string | number };
    if (f & F.BooleanLiteral) return { kind: 'literal', value: (type as { intrinsicName?: string }).intrinsicName === 'true' };
    if (f & F.String) return { kind: 'string' };
    if (f & F.Number) return { kind: 'number' };
    if (f & F.BigInt) return { kind: 'bigint' };
    if (f & F.BigIntLiteral) return rc.problem(ctx, 'bigint literal types are not supported', 'use bigint');
    if (f & F.ESSymbolLike) return rc.problem(ctx, 'symbols cannot travel over the wire', 'use a string');
    if (f & (F.TemplateLiteral | F.StringMapping)) return rc.problem(ctx, 'template literal types are not supported', 'use string (or a union of string literals)');
    if (f & F.NonPrimitive) return rc.problem(ctx, 'the `object` type says nothing about its contents', 'use an interface, or Record<string, unknown>');
    if (f & F.Intersection) return this.#intersection(type as ts.IntersectionType, ctx, depth);
    if (f & F.Object) return this.#object(type as ts.ObjectType, ctx, depth);
    if (f & F.Enum || f & F.EnumLiteral) return rc.problem(ctx, 'unsupported enum type', 'use a string or numeric enum');
    return rc.problem(ctx, `unsupported type ${checker.typeToString(type)}`);
  }

  /** The members of a union, at the union's own level. */
  #members(types: readonly ts.Type[], ctx: Ctx, alias: ts.Symbol | undefined, depth: number): WireType {
    const isBool = (t: ts.Type, name: string) => t.flags & F.BooleanLiteral && !(t.flags & F.EnumLiteral) && (t as { intrinsicName?: string }).intrinsicName === name;
    const hasTrue = types.some((t) => isBool(t, 'true'));
    const hasFalse = types.some((t) => isBool(t, 'false'));
    const members: WireType[] = [];
    let booleanAdded = false;
    for (const t of types) {
      if (t.flags & (F.Undefined | F.Void)) {
        this.#rc.problem(ctx, 'undefined inside a union can only mark something optional', 'use an optional property or parameter');
        continue;
      }
      if (hasTrue && hasFalse && t.flags & F.BooleanLiteral) {
        if (!booleanAdded) members.push({ kind: 'boolean' });
        booleanAdded = true;
        continue;
      }
      members.push(this.convert(t, ctx, depth));
    }
    if (members.length === 1) return members[0];
    const union: WireType = { kind: 'union', members, loc: this.#rc.loc(ctx.node), where: alias?.name ?? ctx.where };
    const discriminant = this.#discriminantOf(types.filter((t) => !(t.flags & F.Null)));
    if (discriminant !== undefined) union.discriminant = discriminant;
    return union;
  }

  /** The property whose literal type differs in every object member, if there is one. */
  #discriminantOf(types: readonly ts.Type[]): string | undefined {
    const checker = this.#rc.checker;
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

  #enum(type: ts.UnionType, ctx: Ctx): WireType {
    const symbol = type.symbol;
    return this.#named(type, this.#defName(symbol.name, undefined), symbol, () => {
      const enumMembers: { name: string; value: string | number }[] = [];
      const members: WireType[] = [];
      for (const m of type.types) {
        const value = (m as ts.LiteralType).value;
        if (typeof value !== 'string' && typeof value !== 'number') {
          this.#rc.problem(ctx, `enum member ${m.symbol?.name} has an unsupported value`);
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

  #intersection(type: ts.IntersectionType, ctx: Ctx, depth: number): WireType {
    // Branded primitives (`string & { __brand: 'UserId' }`) travel as the primitive.
    const primitives = type.types.filter((t) => t.flags & (F.String | F.Number | F.Boolean | F.BigInt | F.StringLiteral | F.NumberLiteral));
    if (primitives.length === 1) return this.convert(primitives[0], ctx, depth);
    if (primitives.length > 1) return this.#rc.problem(ctx, `unsupported intersection ${this.#rc.checker.typeToString(type)}`);
    return this.#object(type, ctx, depth);
  }

  #object(type: ts.Type, ctx: Ctx, depth: number): WireType {
    const rc = this.#rc;
    const checker = rc.checker;
    const symbol = type.getSymbol();
    if (symbol && rc.isLibSymbol(symbol)) {
      if (symbol.name === 'Date') return { kind: 'date' };
      if (symbol.name === 'Uint8Array') return { kind: 'bytes' };
    }
    if (checker.isArrayType(type)) {
      return { kind: 'array', items: this.convert(checker.getTypeArguments(type as ts.TypeReference)[0], { ...ctx, where: `${ctx.where}[]` }, depth + 1) };
    }
    if (checker.isTupleType(type)) {
      const target = (type as ts.TypeReference).target as ts.TupleType;
      if (target.combinedFlags & ts.ElementFlags.Variable) {
        return rc.problem(ctx, 'tuples with rest elements are not supported', 'use a fixed tuple or an array');
      }
      const args = checker.getTypeArguments(type as ts.TypeReference);
      const items = args.map((a, i) => {
        const optional = (target.elementFlags[i] & ts.ElementFlags.Optional) !== 0;
        const ictx = { ...ctx, where: `${ctx.where}[${i}]` };
        return optional ? this.convertOptional(a, ictx, depth + 1).type : this.convert(a, ictx, depth + 1);
      });
      return { kind: 'tuple', items, minItems: target.minLength };
    }
    if (checker.getSignaturesOfType(type, ts.SignatureKind.Call).length > 0) {
      return rc.problem(ctx, 'function-typed values cannot travel over the wire', 'send data instead; for callbacks, expose another method and call it back');
    }
    if (checker.getSignaturesOfType(type, ts.SignatureKind.Construct).length > 0) {
      return rc.problem(ctx, 'constructors cannot travel over the wire', 'send data instead');
    }
    if (symbol && symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class) && rc.isLibSymbol(symbol)) {
      const hints: Record<string, string> = {
        Map: 'use Record<string, T>',
        Set: 'use T[]',
        Promise: 'only a method result may be a Promise',
        Buffer: 'use Uint8Array',
        ArrayBuffer: 'use Uint8Array',
        RegExp: 'send the pattern as a string',
        Error: 'throw a MeshError instead of returning an Error',
      };
      return rc.problem(ctx, `${symbol.name} is not a data type the wire can carry`, hints[symbol.name] ?? 'use plain data: interfaces, arrays, Record<string, T>');
    }
    const alias = type.aliasSymbol && !rc.isLibSymbol(type.aliasSymbol) ? type.aliasSymbol : undefined;
    const named = alias ?? (symbol && symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class) ? symbol : undefined);
    if (named) {
      const args = alias ? type.aliasTypeArguments : objectFlags(type) & ts.ObjectFlags.Reference ? checker.getTypeArguments(type as ts.TypeReference) : undefined;
      return this.#named(type, this.#defName(named.name, args), named, () =>
        this.#objectBody(type, { node: declOf(named) ?? ctx.node, where: this.#names.get(type) ?? named.name }, named.flags & ts.SymbolFlags.Class ? named : undefined, depth),
      );
    }
    return this.#objectBody(type, ctx, undefined, depth);
  }

  /** Properties and string index signature of an object type; each property one level deeper. */
  #objectBody(type: ts.Type, ctx: Ctx, classSymbol: ts.Symbol | undefined, depth: number): WireType {
    const rc = this.#rc;
    const checker = rc.checker;
    const props: WireProp[] = [];
    const all = checker.getPropertiesOfType(type);
    if (classSymbol && all.some((p) => p.flags & ts.SymbolFlags.Method)) {
      return rc.problem(ctx, `class ${classSymbol.name} has methods; class instances cannot travel (the receiver would get a plain object)`, 'describe the data with an interface and send that');
    }
    for (const prop of all) {
      const pdecl = prop.valueDeclaration ?? prop.declarations?.[0];
      const pctx: Ctx = { node: pdecl ?? ctx.node, where: `${ctx.where}.${prop.name}` };
      if (prop.name.startsWith('__@')) {
        rc.problem(pctx, 'symbol-keyed properties cannot travel over the wire', 'use a string key');
        continue;
      }
      if (prop.flags & ts.SymbolFlags.Method) {
        rc.problem(pctx, 'methods cannot travel over the wire', 'keep data types to data: move behaviour to the service');
        continue;
      }
      const { type: wt, optional } = this.convertOptional(checker.getTypeOfSymbol(prop), pctx, depth + 1);
      props.push({ name: prop.name, type: wt, optional: optional || (prop.flags & ts.SymbolFlags.Optional) !== 0 });
    }
    const object: WireType = { kind: 'object', props };
    for (const info of checker.getIndexInfosOfType(type)) {
      if (info.keyType.flags & F.String) {
        object.rest = this.convertOptional(info.type, { ...ctx, where: `${ctx.where}[key]` }, depth + 1).type;
      } else if (info.keyType.flags & F.Number) {
        if (!checker.getIndexInfoOfType(type, ts.IndexKind.String)) {
          rc.problem(ctx, 'number-keyed index signatures are not supported (keys are strings on the wire)', 'use Record<string, T> or an array');
        }
      } else {
        rc.problem(ctx, 'only string index signatures are supported', 'use Record<string, T>');
      }
    }
    return object;
  }

  /** Register a named definition once (so recursive types terminate) and return a ref to it. */
  #named(type: ts.Type, baseName: string, symbol: ts.Symbol, build: () => WireType): WireType {
    const existing = this.#names.get(type);
    if (existing !== undefined) return { kind: 'ref', name: existing };
    let name = baseName;
    for (let n = 2; this.defs.has(name); n++) name = `${baseName}_${n}`;
    this.#names.set(type, name);
    const decl = declOf(symbol);
    const def: TypeDef = { name, type: { kind: 'unknown' }, loc: decl ? this.#rc.loc(decl) : { file: '?', line: 0 } };
    this.defs.set(name, def);
    def.type = build();
    return { kind: 'ref', name };
  }

  #defName(base: string, args: readonly ts.Type[] | undefined): string {
    if (!args || args.length === 0) return sanitizeIdent(base);
    return sanitizeIdent(`${base}_${args.map((a) => this.#rc.checker.typeToString(a)).join('_')}`);
  }
}

function objectFlags(type: ts.Type): ts.ObjectFlags {
  return type.flags & F.Object ? (type as ts.ObjectType).objectFlags : 0;
}
