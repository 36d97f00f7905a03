/**
 * Wire conversions for the values JSON and MessagePack cannot carry as themselves: Date,
 * Uint8Array and bigint travel as strings (docs/TYPES.md). Generated only for the parts of a
 * type that contain one of them; everything else is passed through untouched. Conversions copy
 * (never mutate the caller's objects), and unions pick their member by a test that the rules in
 * rules.ts guarantee is unambiguous.
 */
import { deref, needsConversion, wireClass, type TypeDef, type WireType } from './model.js';
import { propAccess, quote } from './names.js';
import { indent } from './validators.js';

export type Direction = 'to' | 'from';

const LEAF: Record<'date' | 'bytes' | 'bigint', Record<Direction, string>> = {
  date: { to: 'dateToWire', from: 'dateFromWire' },
  bytes: { to: 'bytesToWire', from: 'bytesFromWire' },
  bigint: { to: 'bigintToWire', from: 'bigintFromWire' },
};

export class ConversionEmitter {
  readonly #defs: ReadonlyMap<string, TypeDef>;
  readonly #functions: string[] = [];
  readonly #names = new Map<string, string>();
  #anon = 0;
  /** Runtime helpers the generated code calls. */
  readonly helpers = new Set<string>();

  constructor(defs: ReadonlyMap<string, TypeDef>) {
    this.#defs = defs;
  }

  needs(t: WireType): boolean {
    return needsConversion(t, this.#defs);
  }

  functions(): string[] {
    return this.#functions;
  }

  /** An expression converting `e` (typed any) in direction `dir`, or undefined when nothing to do. */
  expr(t: WireType, e: string, dir: Direction): string | undefined {
    if (!this.needs(t)) return undefined;
    switch (t.kind) {
      case 'date':
      case 'bytes':
      case 'bigint':
        this.helpers.add(LEAF[t.kind][dir]);
        return `${LEAF[t.kind][dir]}(${e})`;
      case 'array': {
        const inner = this.expr(t.items, 'x', dir)!;
        return `(${e} as any[]).map((x: any) => ${inner})`;
      }
      case 'ref':
        return `${this.#function(`ref:${t.name}`, () => `${dir}Wire_${t.name}`, dir, (v) => this.#body(this.#defs.get(t.name)!.type, v, dir))}(${e})`;
      default:
        return `${this.#function(`anon:${JSON.stringify(t, (k, v) => (k === 'loc' || k === 'where' ? undefined : v))}`, () => `${dir}Wire_${++this.#anon}`, dir, (v) => this.#body(t, v, dir))}(${e})`;
    }
  }

  #function(key: string, makeName: () => string, dir: Direction, body: (v: string) => string[]): string {
    const full = `${dir}|${key}`;
    const existing = this.#names.get(full);
    if (existing) return existing;
    const name = makeName();
    this.#names.set(full, name);
    const lines = body('v');
    this.#functions.push(`function ${name}(v: any): any {`, ...indent(lines), '}', '');
    return name;
  }

  #body(t: WireType, v: string, dir: Direction): string[] {
    switch (t.kind) {
      case 'object': {
        const lines = [`const r = { ...${v} };`];
        for (const p of t.props) {
          const access = `r${propAccess(p.name)}`;
          const conv = this.expr(p.type, access, dir);
          if (!conv) continue;
          lines.push(p.optional ? `if (${access} !== undefined) ${access} = ${conv};` : `${access} = ${conv};`);
        }
        if (t.rest) {
          const conv = this.expr(t.rest, 'r[k]', dir);
          if (conv) {
            const known = t.props.map((p) => `k === ${quote(p.name)}`).join(' || ');
            lines.push('for (const k of Object.keys(r)) {', ...(known ? [`  if (${known}) continue;`] : []), `  r[k] = ${conv};`, '}');
          }
        }
        lines.push('return r;');
        return lines;
      }
      case 'tuple': {
        const items = t.items.map((item, i) => {
          const conv = this.expr(item, `${v}[${i}]`, dir) ?? `${v}[${i}]`;
          return i >= t.minItems ? `...(${v}.length > ${i} ? [${conv}] : [])` : conv;
        });
        return [`return [${items.join(', ')}];`];
      }
      case 'union':
        return this.#union(t, v, dir);
      default: {
        const conv = this.expr(t, v, dir);
        return [`return ${conv ?? v};`];
      }
    }
  }

  #union(t: Extract<WireType, { kind: 'union' }>, v: string, dir: Direction): string[] {
    const lines: string[] = [];
    const members = t.members.filter((m) => this.needs(m));
    const byClass = (cls: string) => members.filter((m) => wireClass(m, this.#defs) === cls);
    if (dir === 'to') {
      for (const m of members) {
        const d = deref(m, this.#defs);
        if (d.kind === 'date') lines.push(`if (${v} instanceof Date) return ${this.expr(m, v, dir)};`);
        if (d.kind === 'bytes') lines.push(`if (${v} instanceof Uint8Array) return ${this.expr(m, v, dir)};`);
        if (d.kind === 'bigint') lines.push(`if (typeof ${v} === 'bigint') return ${this.expr(m, v, dir)};`);
      }
    } else {
      const strings = byClass('string');
      if (strings.length > 0) lines.push(`if (typeof ${v} === 'string') return ${this.expr(strings[0], v, dir)};`);
    }
    const arrays = byClass('array');
    if (arrays.length > 0) lines.push(`if (Array.isArray(${v})) return ${this.expr(arrays[0], v, dir)};`);
    const objects = byClass('object');
    const allObjects = t.members.filter((m) => wireClass(m, this.#defs) === 'object');
    if (objects.length === 1 && allObjects.length === 1) {
      lines.push(`if (typeof ${v} === 'object' && ${v} !== null) return ${this.expr(objects[0], v, dir)};`);
    } else if (objects.length > 0 && t.discriminant !== undefined) {
      lines.push(`if (typeof ${v} === 'object' && ${v} !== null) {`, `  switch (${v}${propAccess(t.discriminant)}) {`);
      for (const m of objects) {
        const d = deref(m, this.#defs);
        const p = d.kind === 'object' ? d.props.find((q) => q.name === t.discriminant) : undefined;
        const value = p ? deref(p.type, this.#defs) : undefined;
        if (value?.kind !== 'literal') continue;
        lines.push(`    case ${typeof value.value === 'string' ? quote(value.value) : String(value.value)}:`, `      return ${this.expr(m, v, dir)};`);
      }
      lines.push('  }', '}');
    }
    lines.push(`return ${v};`);
    return lines;
  }
}
