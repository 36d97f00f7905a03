/**
 * Compiled validators: straight-line TypeScript generated from the wire-type model, checking the
 * decoded (wire-form) arguments of a call. Nothing is interpreted at call time: a `string`
 * parameter becomes one `typeof` test. Every problem is collected as { path, expected, got }.
 *
 * Named types get one `check_<Name>(v, out)` function each, whose problem paths are relative to
 * `v`; the caller prefixes them only when problems were found, so the happy path builds no strings.
 */
import { describe, deref, wireClass, type TypeDef, type WireType } from './model.js';
import { propAccess, quote, recordAccess } from './names.js';

/** A problem path under construction: literal text and JS expressions (loop indexes, keys). */
type Path = readonly (string | { expr: string })[];

function pathExpr(path: Path): string {
  const parts: string[] = [];
  let lit = '';
  for (const p of path) {
    if (typeof p === 'string') lit += p;
    else {
      if (lit) parts.push(quote(lit));
      lit = '';
      parts.push(p.expr);
    }
  }
  if (lit || parts.length === 0) parts.push(quote(lit));
  return parts.join(' + ');
}

/** Append a property to a path: `card` + `address` -> `card.address` (`.address` inside a check function). */
function withProp(path: Path, name: string): Path {
  return [...path, propAccess(name)];
}

/** The negation of a test, readable where it is a single comparison. */
function negate(test: string): string {
  if (!test.includes(' || ') && !test.includes(' && ')) {
    if (/^[^=!]+ === [^=!]+$/.test(test)) return test.replace(' === ', ' !== ');
    if (/^[\w$.]+\(.*\)$/.test(test) && !test.startsWith('!')) return `!${test}`;
  }
  return `!(${test})`;
}

const MAX_CHAINED_LITERALS = 8;

export class ValidatorEmitter {
  readonly #defs: ReadonlyMap<string, TypeDef>;
  /** Def names whose check functions are needed. */
  readonly #needed: string[] = [];
  readonly #emitted = new Set<string>();
  /** Module-level constants (literal sets). */
  readonly constants: string[] = [];
  #counter = 0;

  constructor(defs: ReadonlyMap<string, TypeDef>) {
    this.#defs = defs;
  }

  /** The body lines of `validateParams(args)` for a method's parameters; undefined when nothing needs checking. */
  paramsValidator(params: readonly { name: string; type: WireType; optional: boolean }[]): string[] | undefined {
    this.#counter = 0;
    const lines = ['const out: ValidationProblem[] = [];'];
    for (const p of params) {
      const e = `args${recordAccess(p.name)}`;
      const body = this.check(p.type, e, [p.name], 'out');
      if (p.optional && body.length > 0) lines.push(`if (${e} !== undefined) {`, ...indent(body), '}');
      else lines.push(...body);
    }
    if (lines.length === 1) return undefined;
    lines.push('return out.length === 0 ? undefined : out;');
    return lines;
  }

  /** Check functions for every named type used so far (and those they use). */
  functions(): string[] {
    const out: string[] = [];
    while (this.#needed.length > 0) {
      const name = this.#needed.shift()!;
      const def = this.#defs.get(name)!;
      this.#counter = 0;
      const body = this.check(def.type, 'v', [], 'out', name);
      out.push(
        `/** Checks the wire form of ${name}; problem paths are relative to the value. */`,
        `function check_${name}(v: unknown, out: ValidationProblem[]): void {`,
        ...indent(body),
        '}',
        '',
      );
    }
    return out;
  }

  #var(prefix: string): string {
    return `${prefix}${++this.#counter}`;
  }

  #push(out: string, path: Path, expected: string, e: string): string {
    return `${out}.push({ path: ${pathExpr(path)}, expected: ${quote(expected)}, got: describeValue(${e}) });`;
  }

  /** A boolean expression that is true when `e` is valid, for types that need no recursion. */
  test(t: WireType, e: string, seen = new Set<string>()): string | undefined {
    switch (t.kind) {
      case 'unknown':
        return 'true';
      case 'string':
      case 'number':
      case 'boolean':
        return `typeof ${e} === '${t.kind}'`;
      case 'null':
      case 'void':
        return `${e} === null`;
      case 'literal':
        return `${e} === ${typeof t.value === 'string' ? quote(t.value) : String(t.value)}`;
      case 'date':
        return `isWireDate(${e})`;
      case 'bytes':
        return `isWireBytes(${e})`;
      case 'bigint':
        return `isWireBigInt(${e})`;
      case 'ref': {
        if (seen.has(t.name)) return undefined;
        const def = this.#defs.get(t.name);
        if (!def) return undefined;
        seen.add(t.name);
        if (def.type.kind === 'union' && def.type.members.every((m) => m.kind === 'literal') && def.type.members.length > MAX_CHAINED_LITERALS) {
          const name = `VALUES_${t.name}`;
          if (!this.#emitted.has(name)) {
            this.#emitted.add(name);
            this.constants.push(`const ${name} = new Set<unknown>([${def.type.members.map((m) => literalText(m)).join(', ')}]);`);
          }
          return `${name}.has(${e})`;
        }
        return this.test(def.type, e, seen);
      }
      case 'union': {
        const tests: string[] = [];
        for (const m of t.members) {
          const s = this.test(m, e, seen);
          if (s === undefined) return undefined;
          tests.push(s);
        }
        if (tests.includes('true')) return 'true';
        return tests.join(' || ');
      }
      default:
        return undefined;
    }
  }

  /** Statements checking `e` against `t`, pushing problems into the array named `out`. */
  check(t: WireType, e: string, path: Path, out: string, expected = describe(t, this.#defs)): string[] {
    const simple = this.test(t, e);
    if (simple !== undefined) {
      if (simple === 'true') return [];
      return [`if (${negate(simple)}) ${this.#push(out, path, expected, e)}`];
    }
    switch (t.kind) {
      case 'array':
        return this.#array(t.items, e, path, out, expected);
      case 'tuple':
        return this.#tuple(t, e, path, out, expected);
      case 'object':
        return this.#object(t, e, path, out, expected);
      case 'ref':
        return this.#ref(t.name, e, path, out);
      case 'union':
        return this.#union(t, e, path, out, expected);
      default:
        return [`${this.#push(out, path, expected, e)}`];
    }
  }

  #ref(name: string, e: string, path: Path, out: string): string[] {
    if (!this.#emitted.has(name)) {
      this.#emitted.add(name);
      this.#needed.push(name);
    }
    if (path.length === 0) return [`check_${name}(${e}, ${out});`];
    const n = this.#var('n');
    return [
      `const ${n} = ${out}.length;`,
      `check_${name}(${e}, ${out});`,
      `if (${out}.length !== ${n}) prefixPaths(${out}, ${n}, ${pathExpr(path)});`,
    ];
  }

  #array(items: WireType, e: string, path: Path, out: string, expected: string): string[] {
    const head = `if (!Array.isArray(${e})) ${this.#push(out, path, expected, e)}`;
    const a = this.#var('a');
    const i = this.#var('i');
    const inner = this.check(items, `${a}[${i}]`, [...path, '[', { expr: i }, ']'], out);
    if (inner.length === 0) return [head];
    return [
      `if (!Array.isArray(${e})) {`,
      `  ${this.#push(out, path, expected, e)}`,
      '} else {',
      `  const ${a}: unknown[] = ${e};`,
      `  for (let ${i} = 0; ${i} < ${a}.length; ${i}++) {`,
      ...indent(indent(scoped(inner))),
      '  }',
      '}',
    ];
  }

  #tuple(t: Extract<WireType, { kind: 'tuple' }>, e: string, path: Path, out: string, expected: string): string[] {
    const a = this.#var('a');
    const lengthTest = t.minItems === t.items.length ? `${a}.length !== ${t.items.length}` : `${a}.length < ${t.minItems} || ${a}.length > ${t.items.length}`;
    const body: string[] = [];
    t.items.forEach((item, index) => {
      const inner = this.check(item, `${a}[${index}]`, [...path, `[${index}]`], out);
      if (inner.length === 0) return;
      if (index >= t.minItems) body.push(`if (${a}.length > ${index}) {`, ...indent(scoped(inner)), '}');
      else body.push(...scoped(inner));
    });
    return [
      `if (!Array.isArray(${e})) {`,
      `  ${this.#push(out, path, expected, e)}`,
      '} else {',
      `  const ${a}: unknown[] = ${e};`,
      `  if (${lengthTest}) ${this.#push(out, path, expected, a)}`,
      ...(body.length > 0 ? [`  else {`, ...indent(indent(body)), '  }'] : []),
      '}',
    ];
  }

  #object(t: Extract<WireType, { kind: 'object' }>, e: string, path: Path, out: string, expected: string): string[] {
    const notObject = `typeof ${e} !== 'object' || ${e} === null || Array.isArray(${e})`;
    const body = this.#objectBody(t, e, path, out);
    if (body.length === 0) return [`if (${notObject}) ${this.#push(out, path, expected, e)}`];
    return [`if (${notObject}) {`, `  ${this.#push(out, path, expected, e)}`, '} else {', ...indent(body), '}'];
  }

  /** Property checks of a value already known to be a plain object. */
  #objectBody(t: Extract<WireType, { kind: 'object' }>, e: string, path: Path, out: string): string[] {
    const o = this.#var('o');
    const body: string[] = [];
    for (const p of t.props) {
      const pe = `${o}${recordAccess(p.name)}`;
      const inner = this.check(p.type, pe, withProp(path, p.name), out);
      if (inner.length === 0) continue;
      if (p.optional) body.push(`if (${pe} !== undefined) {`, ...indent(scoped(inner)), '}');
      else body.push(...scoped(inner));
    }
    if (t.rest && t.rest.kind !== 'unknown') {
      const k = this.#var('k');
      const inner = this.check(t.rest, `${o}[${k}]`, [...path, '.', { expr: k }], out);
      if (inner.length > 0) {
        const known = t.props.map((p) => `${k} === ${quote(p.name)}`).join(' || ');
        body.push(`for (const ${k} of Object.keys(${o})) {`, ...(known ? [`  if (${known}) continue;`] : []), ...indent(scoped(inner)), '}');
      }
    }
    return body.length === 0 ? [] : [`const ${o} = ${e} as Record<string, unknown>;`, ...body];
  }

  #union(t: Extract<WireType, { kind: 'union' }>, e: string, path: Path, out: string, expected: string): string[] {
    const simple: string[] = [];
    const complex: WireType[] = [];
    for (const m of t.members) {
      const s = this.test(m, e);
      if (s !== undefined) simple.push(s);
      else complex.push(m);
    }
    let inner: string[];
    if (complex.length === 1) {
      inner = this.check(complex[0], e, path, out, expected);
    } else if (complex.length === 2 && new Set(complex.map((m) => wireClass(m, this.#defs))).size === 2 && complex.every((m) => ['array', 'object'].includes(wireClass(m, this.#defs)))) {
      // One array member and one object member: the value's shape says which to check.
      const [arrayMember, objectMember] = wireClass(complex[0], this.#defs) === 'array' ? complex : [complex[1], complex[0]];
      inner = [
        `if (Array.isArray(${e})) {`,
        ...indent(scoped(this.check(arrayMember, e, path, out, expected))),
        '} else {',
        ...indent(scoped(this.check(objectMember, e, path, out, expected))),
        '}',
      ];
    } else if (t.discriminant !== undefined && this.#discriminable(complex, t.discriminant)) {
      inner = this.#switch(complex, t.discriminant, e, path, out, expected);
    } else {
      // No cheap way to tell members apart: try each into a scratch list; report once if none fits.
      const scratch = this.#var('t');
      inner = [`const ${scratch}: ValidationProblem[] = [];`];
      let cursor = inner;
      complex.forEach((m, index) => {
        const body = [...(index > 0 ? [`${scratch}.length = 0;`] : []), ...scoped(this.check(m, e, path, scratch))];
        cursor.push(...body);
        const next: string[] = [];
        cursor.push(`if (${scratch}.length !== 0) {`, next as unknown as string, '}');
        cursor = next;
      });
      cursor.push(this.#push(out, path, expected, e));
      inner = flattenNested(inner);
    }
    if (simple.length === 0) return inner;
    return [`if (!(${simple.map(wrapOr).join(' || ')})) {`, ...indent(scoped(inner)), '}'];
  }

  #discriminable(members: readonly WireType[], key: string): boolean {
    return members.every((m) => wireClass(m, this.#defs) === 'object' && discriminantValue(m, key, this.#defs) !== undefined);
  }

  #switch(members: readonly WireType[], key: string, e: string, path: Path, out: string, expected: string): string[] {
    const d = this.#var('d');
    const values = members.map((m) => discriminantValue(m, key, this.#defs)!);
    const lines = [
      `if (typeof ${e} !== 'object' || ${e} === null || Array.isArray(${e})) {`,
      `  ${this.#push(out, path, expected, e)}`,
      '} else {',
      `  const ${d} = ${e} as Record<string, unknown>;`,
      `  switch (${d}${recordAccess(key)}) {`,
    ];
    members.forEach((m, i) => {
      const body = m.kind === 'object' ? this.#objectBody(m, d, path, out) : this.check(m, d, path, out);
      lines.push(`    case ${literalText({ kind: 'literal', value: values[i] })}: {`, ...indent(indent(indent(body))), '      break;', '    }');
    });
    lines.push(
      '    default:',
      `      ${this.#push(out, withProp(path, key), values.map((v) => JSON.stringify(v)).join(' | '), `${d}${recordAccess(key)}`)}`,
      '  }',
      '}',
    );
    return lines;
  }
}

function discriminantValue(t: WireType, key: string, defs: ReadonlyMap<string, TypeDef>): string | number | boolean | undefined {
  const d = deref(t, defs);
  if (d.kind !== 'object') return undefined;
  const p = d.props.find((q) => q.name === key);
  const pt = p ? deref(p.type, defs) : undefined;
  return pt?.kind === 'literal' ? pt.value : undefined;
}

function literalText(t: WireType): string {
  if (t.kind !== 'literal') throw new Error('not a literal');
  return typeof t.value === 'string' ? quote(t.value) : String(t.value);
}

function wrapOr(expr: string): string {
  return expr.includes(' || ') ? `(${expr})` : expr;
}

/** Indent lines (also the lines inside multi-line elements) by two spaces. */
export function indent(lines: readonly string[]): string[] {
  return lines.flatMap((l) => l.split('\n')).map((l) => (l.length > 0 ? `  ${l}` : l));
}

/** Statements that declare consts get a block of their own, so names never clash. */
function scoped(lines: string[]): string[] {
  return lines.some((l) => l.startsWith('const ')) ? ['{', ...indent(lines), '}'] : lines;
}

/** The trial chain builds nested arrays in place; turn them into indented lines. */
function flattenNested(lines: readonly (string | string[])[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (Array.isArray(l)) out.push(...indent(flattenNested(l)));
    else out.push(l);
  }
  return out;
}
