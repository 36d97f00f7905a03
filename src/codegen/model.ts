/**
 * The wire-type model: the small closed set of types that travel between services. The type
 * reader (compiler.ts) turns the checker's resolved types into these; every emitter (validators,
 * JSON Schema, wire conversions, client, proto) reads only this model, never the compiler.
 */

/** Where something was declared: project-relative file and 1-based line. */
export interface Loc {
  file: string;
  line: number;
}

export type WireType =
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'null' }
  /** `unknown` / `any`: passed through unchecked. */
  | { kind: 'unknown' }
  | { kind: 'literal'; value: string | number | boolean }
  /** Date: an ISO-8601 (RFC 3339) string on the wire. */
  | { kind: 'date' }
  /** Uint8Array: a base64 string on the wire. */
  | { kind: 'bytes' }
  /** bigint: a decimal string on the wire. */
  | { kind: 'bigint' }
  | { kind: 'array'; items: WireType }
  /** Fixed tuple; elements at index >= minItems are optional. */
  | { kind: 'tuple'; items: WireType[]; minItems: number }
  /** An object: known properties, plus `rest` for string index signatures / Record<string, T>. */
  | { kind: 'object'; props: WireProp[]; rest?: WireType }
  /** A union; `discriminant` names the property whose literal value picks the member. */
  | { kind: 'union'; members: WireType[]; discriminant?: string; loc?: Loc; where?: string }
  /** A named definition (interface, alias, enum, generic instance), possibly recursive. */
  | { kind: 'ref'; name: string }
  /** Only as a method result: `void` / `undefined` (null on the wire). */
  | { kind: 'void' };

export interface WireProp {
  name: string;
  type: WireType;
  optional: boolean;
}

export interface TypeDef {
  /** Unique within one generated file (e.g. `Postcard`, `Page_User`). */
  name: string;
  type: WireType;
  loc: Loc;
  /** For enums: member names, so proto and docs can show them. */
  enumMembers?: { name: string; value: string | number }[];
}

/** A name the generated file must import for a readable type annotation. */
export interface TypeImport {
  /** The local name used in the type text. */
  local: string;
  /** Exported name in the module; 'default' or '*' (namespace import) are special. */
  imported: string;
  /** An absolute file path (project file) or a bare package specifier. */
  from: { file: string } | { pkg: string };
}

/** A type annotation copied from the source, with what it needs imported. */
export interface TypeText {
  text: string;
  imports: TypeImport[];
}

export interface ParamModel {
  name: string;
  type: WireType;
  optional: boolean;
  /** Readable annotation, when the source's can be reused in the generated file. */
  typeText?: TypeText;
}

export interface MethodModel {
  name: string;
  params: ParamModel[];
  result: WireType;
  /** The result may be undefined (but not null): the client turns the wire's null back into undefined. */
  resultOptional: boolean;
  /** Annotation of the awaited result type, when reusable. */
  resultText?: TypeText;
  /** The interface method returns a Promise (so a client can implement it as is). */
  async: boolean;
  doc?: string;
}

export interface ServiceModel {
  /** The interface's name, e.g. `GreeterService`. */
  interfaceName: string;
  /** Absolute path of the file declaring the interface. */
  interfaceFile: string;
  /** Name on the mesh, e.g. `greeter`. */
  serviceName: string;
  /** Identifier stem for generated names, e.g. `greeter` -> greeterSpec, GreeterClient. */
  ident: string;
  methods: MethodModel[];
  loc: Loc;
  doc?: string;
}

/** Everything generated from one source file. */
export interface SourceModel {
  /** Absolute path of the source file. */
  file: string;
  services: ServiceModel[];
  defs: Map<string, TypeDef>;
}

/** One reason the run fails; all of them are reported together. */
export interface Problem {
  loc: Loc;
  /** What the problem is about, e.g. `GreeterService.greet(callback)` or `Postcard.onClick`. */
  where: string;
  message: string;
  hint?: string;
}

export function formatProblem(p: Problem): string {
  return `${p.loc.file}:${p.loc.line}  ${p.where}: ${p.message}${p.hint ? `\n    hint: ${p.hint}` : ''}`;
}

/** Thrown when generation cannot proceed; carries every problem found. */
export class CodegenError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[], message?: string) {
    super(
      message ??
        `meshrpc expose found ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
          problems.map((p) => '  ' + formatProblem(p).replace(/\n/g, '\n  ')).join('\n'),
    );
    this.name = 'CodegenError';
    this.problems = problems;
  }
}

/** Whether a type (following refs) carries Date, Uint8Array or bigint, i.e. needs wire conversion. */
export function needsConversion(t: WireType, defs: ReadonlyMap<string, TypeDef>, seen = new Set<string>()): boolean {
  switch (t.kind) {
    case 'date':
    case 'bytes':
    case 'bigint':
      return true;
    case 'array':
      return needsConversion(t.items, defs, seen);
    case 'tuple':
      return t.items.some((i) => needsConversion(i, defs, seen));
    case 'object':
      return t.props.some((p) => needsConversion(p.type, defs, seen)) || (t.rest ? needsConversion(t.rest, defs, seen) : false);
    case 'union':
      return t.members.some((m) => needsConversion(m, defs, seen));
    case 'ref': {
      if (seen.has(t.name)) return false;
      seen.add(t.name);
      const def = defs.get(t.name);
      return def ? needsConversion(def.type, defs, seen) : false;
    }
    default:
      return false;
  }
}

/** Follow refs to the underlying type (stops at cycles). */
export function deref(t: WireType, defs: ReadonlyMap<string, TypeDef>): WireType {
  const seen = new Set<string>();
  while (t.kind === 'ref' && !seen.has(t.name)) {
    seen.add(t.name);
    const def = defs.get(t.name);
    if (!def) break;
    t = def.type;
  }
  return t;
}

/** What a wire value looks like at the top level; union members must be told apart by it. */
export type WireClass = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object' | 'any';

export function wireClass(t: WireType, defs: ReadonlyMap<string, TypeDef>): WireClass {
  const d = deref(t, defs);
  switch (d.kind) {
    case 'string':
    case 'date':
    case 'bytes':
    case 'bigint':
      return 'string';
    case 'literal':
      return typeof d.value === 'string' ? 'string' : typeof d.value === 'number' ? 'number' : 'boolean';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
    case 'void':
      return 'null';
    case 'array':
    case 'tuple':
      return 'array';
    case 'object':
      return 'object';
    case 'union': {
      const classes = new Set(d.members.map((m) => wireClass(m, defs)));
      return classes.size === 1 ? [...classes][0] : 'any';
    }
    default:
      return 'any';
  }
}

/** A short, human description of a type for `expected` in validation problems. */
export function describe(t: WireType, defs: ReadonlyMap<string, TypeDef>, depth = 0): string {
  switch (t.kind) {
    case 'literal':
      return JSON.stringify(t.value);
    case 'date':
      return 'Date (ISO-8601 string)';
    case 'bytes':
      return 'Uint8Array (base64 string)';
    case 'bigint':
      return 'bigint (decimal string)';
    case 'array': {
      const inner = describe(t.items, defs, depth + 1);
      return /[ |]/.test(inner) ? `array of ${inner}` : `${inner}[]`;
    }
    case 'tuple':
      return `[${t.items.map((i, n) => describe(i, defs, depth + 1) + (n >= t.minItems ? '?' : '')).join(', ')}]`;
    case 'object':
      return t.props.length === 0 && t.rest ? `Record<string, ${describe(t.rest, defs, depth + 1)}>` : 'object';
    case 'union': {
      const text = t.members.map((m) => describe(m, defs, depth + 1)).join(' | ');
      return text.length > 120 ? text.slice(0, 117) + '...' : text;
    }
    case 'ref': {
      const def = defs.get(t.name);
      // Literal unions (enums) read better as their values than as a name the caller may not know.
      if (def && depth < 2 && def.type.kind === 'union' && def.type.members.every((m) => m.kind === 'literal')) {
        return describe(def.type, defs, depth + 1);
      }
      return t.name;
    }
    case 'void':
      return 'null';
    default:
      return t.kind;
  }
}
