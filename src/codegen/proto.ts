/**
 * A proto3 file mirroring a source's services, for callers in other languages (the gRPC server
 * serves it). The mapping is chosen so that proto3's canonical JSON mapping of a message equals
 * our JSON wire form: field json_names are the TypeScript names, Date is a Timestamp (an RFC 3339
 * string in JSON), Uint8Array is bytes (base64), bigint is int64 (a decimal string). Types proto
 * cannot express (mixed unions, tuples, unknown) become google.protobuf.Value / Struct / ListValue.
 *
 * Each rpc takes `<Method>Request` (one field per parameter) and returns `<Method>Response`, whose
 * field `result` holds the method's result.
 */
import path from 'node:path';
import { deref, type SourceModel, type TypeDef, type WireType } from './model.js';
import { upperFirst } from './names.js';
import { GENERATED_HEADER } from './version.js';

export interface ProtoOptions {
  root: string;
}

interface Field {
  /** Type name, e.g. `string`, `Postcard`, `map<string, double>`. */
  type: string;
  repeated?: boolean;
  /** Scalar that may be absent (proto3 `optional`). */
  optional?: boolean;
  comment?: string;
}

const SCALARS = new Set(['string', 'double', 'bool', 'bytes', 'int64']);

export function emitProto(source: SourceModel, options: ProtoOptions): string {
  return new ProtoEmitter(source).emit(options);
}

class ProtoEmitter {
  readonly #source: SourceModel;
  readonly #defs: ReadonlyMap<string, TypeDef>;
  readonly #taken = new Set<string>();
  readonly #messages: string[][] = [];
  readonly #defMessages = new Map<string, string>();
  readonly #imports = new Set<string>();
  readonly #inlining = new Set<string>();

  constructor(source: SourceModel) {
    this.#source = source;
    this.#defs = source.defs;
  }

  emit(options: ProtoOptions): string {
    const source = this.#source;
    const pkg = source.services.length === 1 ? source.services[0].serviceName : path.basename(source.file).replace(/\.[^.]+$/, '');
    const services: string[] = [];
    // Claim the names of object definitions first, so request messages never take them.
    for (const [name, def] of this.#defs) if (deref(def.type, this.#defs).kind === 'object') this.#taken.add(name);
    for (const service of source.services) {
      const lines = [`service ${upperFirst(service.ident)} {`];
      for (const m of service.methods) {
        const request = this.#claim([`${upperFirst(m.name)}Request`, `${upperFirst(service.ident)}${upperFirst(m.name)}Request`]);
        const response = this.#claim([`${upperFirst(m.name)}Response`, `${upperFirst(service.ident)}${upperFirst(m.name)}Response`]);
        this.#message(request, m.params.map((p) => ({ name: p.name, field: this.#optional(this.#field(p.type, `${request}_${p.name}`), p.optional) })));
        const result = m.result.kind === 'void' ? [] : [{ name: 'result', field: this.#optional(this.#field(m.result, `${response}_result`), m.resultOptional) }];
        this.#message(response, result);
        if (m.doc) lines.push(`  // ${m.doc.replace(/\n/g, '\n  // ')}`);
        lines.push(`  rpc ${m.name}(${request}) returns (${response});`);
      }
      lines.push('}');
      services.push(lines.join('\n'));
    }
    const sourceLabel = path.relative(options.root, source.file).split(path.sep).join('/');
    const head = [
      GENERATED_HEADER,
      `// Source: ${sourceLabel} (${source.services.map((s) => s.interfaceName).join(', ')}).`,
      '// The proto3 JSON mapping of these messages is the meshrpc JSON wire form (docs/TYPES.md).',
      'syntax = "proto3";',
      '',
      `package ${pkg.replace(/[^A-Za-z0-9_.]/g, '_')};`,
    ];
    if (this.#imports.size > 0) head.push('', ...[...this.#imports].sort().map((i) => `import "${i}";`));
    return `${[...head, '', services.join('\n\n'), '', ...this.#messages.map((m) => m.join('\n')).flatMap((m) => [m, ''])].join('\n').trimEnd()}\n`;
  }

  #claim(candidates: string[]): string {
    for (const c of candidates) {
      if (!this.#taken.has(c)) {
        this.#taken.add(c);
        return c;
      }
    }
    let n = 2;
    while (this.#taken.has(`${candidates[0]}${n}`)) n++;
    this.#taken.add(`${candidates[0]}${n}`);
    return `${candidates[0]}${n}`;
  }

  #optional(field: Field, optional: boolean): Field {
    return optional && !field.repeated && SCALARS.has(field.type) ? { ...field, optional: true } : field;
  }

  #message(name: string, fields: { name: string; field: Field }[]): void {
    const lines = [`message ${name} {`];
    fields.forEach(({ name: fname, field }, i) => {
      const safe = fname.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
      const options = safe !== fname || fname.includes('_') ? ` [json_name = "${fname}"]` : '';
      const label = field.repeated ? 'repeated ' : field.optional ? 'optional ' : '';
      lines.push(`  ${label}${field.type} ${safe} = ${i + 1}${options};${field.comment ? ` // ${field.comment}` : ''}`);
    });
    lines.push('}');
    this.#messages.push(lines);
  }

  #well(name: 'Value' | 'Struct' | 'ListValue' | 'Timestamp'): string {
    this.#imports.add(name === 'Timestamp' ? 'google/protobuf/timestamp.proto' : 'google/protobuf/struct.proto');
    return `google.protobuf.${name}`;
  }

  #field(t: WireType, context: string): Field {
    switch (t.kind) {
      case 'string':
        return { type: 'string' };
      case 'number':
        return { type: 'double' };
      case 'boolean':
        return { type: 'bool' };
      case 'literal':
        return { type: typeof t.value === 'string' ? 'string' : typeof t.value === 'number' ? 'double' : 'bool', comment: `always ${JSON.stringify(t.value)}` };
      case 'date':
        return { type: this.#well('Timestamp') };
      case 'bytes':
        return { type: 'bytes' };
      case 'bigint':
        return { type: 'int64', comment: 'bigint; values beyond 64 bits do not fit' };
      case 'null':
      case 'void':
      case 'unknown':
        return { type: this.#well('Value') };
      case 'tuple':
        return { type: this.#well('ListValue'), comment: 'tuple' };
      case 'array': {
        const inner = this.#field(t.items, `${context}_item`);
        if (inner.repeated || inner.type.startsWith('map<')) return { type: this.#well('ListValue'), repeated: true, comment: 'array of arrays' };
        return { ...inner, optional: false, repeated: true };
      }
      case 'object': {
        if (t.props.length === 0 && t.rest) {
          const inner = this.#field(t.rest, `${context}_value`);
          if (!inner.repeated && !inner.type.startsWith('map<')) return { type: `map<string, ${inner.type}>` };
          return { type: this.#well('Struct') };
        }
        if (t.rest) return { type: this.#well('Struct'), comment: 'object with extra keys' };
        const name = this.#claim([context.replace(/[^A-Za-z0-9_]/g, '_')]);
        this.#message(name, t.props.map((p) => ({ name: p.name, field: this.#optional(this.#field(p.type, `${name}_${p.name}`), p.optional) })));
        return { type: name };
      }
      case 'ref':
        return this.#ref(t.name);
      case 'union': {
        const nonNull = t.members.filter((m) => m.kind !== 'null');
        if (nonNull.length === 1) return { ...this.#field(nonNull[0], context), optional: true };
        if (nonNull.every((m) => m.kind === 'literal')) {
          const kinds = new Set(nonNull.map((m) => typeof (m as { value: unknown }).value));
          if (kinds.size === 1) {
            const kind = [...kinds][0];
            return { type: kind === 'string' ? 'string' : kind === 'number' ? 'double' : 'bool', comment: `one of ${nonNull.map((m) => JSON.stringify((m as { value: unknown }).value)).join(', ')}` };
          }
        }
        if (t.discriminant !== undefined) return { type: this.#well('Struct'), comment: `one of several shapes, told apart by "${t.discriminant}"` };
        return { type: this.#well('Value'), comment: 'union' };
      }
    }
  }

  #ref(name: string): Field {
    const def = this.#defs.get(name)!;
    if (def.type.kind !== 'object' || def.type.rest) {
      // Non-message definitions are inlined; one that refers back to itself becomes a Value.
      if (this.#inlining.has(name)) return { type: this.#well('Value'), comment: `recursive ${name}` };
      this.#inlining.add(name);
      const f = this.#field(def.type, name);
      this.#inlining.delete(name);
      if (def.enumMembers) return { ...f, comment: `enum ${name}: ${def.enumMembers.map((m) => `${m.name}=${JSON.stringify(m.value)}`).join(', ')}` };
      return f;
    }
    const existing = this.#defMessages.get(name);
    if (existing) return { type: existing };
    this.#defMessages.set(name, name);
    this.#taken.add(name);
    const object = def.type;
    this.#message(name, object.props.map((p) => ({ name: p.name, field: this.#optional(this.#field(p.type, `${name}_${p.name}`), p.optional) })));
    return { type: name };
  }
}
