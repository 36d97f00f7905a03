/**
 * JSON Schema (draft 2020-12) for the wire form of each method's parameters and result, and the
 * contract hash derived from them. Schemas describe what travels: a Date is an ISO-8601 string,
 * a Uint8Array a base64 string, a bigint a decimal string (see docs/TYPES.md).
 */
import { createHash } from 'node:crypto';
import type { JsonSchema } from '../core/spec.js';
import { type MethodModel, type ServiceModel, type TypeDef, type WireType } from './model.js';

export const BIGINT_PATTERN = '^-?(0|[1-9][0-9]*)$';

export function schemaOf(t: WireType, defs: ReadonlyMap<string, TypeDef>, used: Set<string>): JsonSchema {
  switch (t.kind) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
      return { type: t.kind };
    case 'void':
      return { type: 'null' };
    case 'unknown':
      return {};
    case 'literal':
      return { const: t.value };
    case 'date':
      return { type: 'string', format: 'date-time' };
    case 'bytes':
      return { type: 'string', contentEncoding: 'base64' };
    case 'bigint':
      return { type: 'string', pattern: BIGINT_PATTERN };
    case 'array':
      return { type: 'array', items: schemaOf(t.items, defs, used) };
    case 'tuple': {
      const s: JsonSchema = { type: 'array', prefixItems: t.items.map((i) => schemaOf(i, defs, used)), items: false };
      if (t.minItems > 0) s.minItems = t.minItems;
      s.maxItems = t.items.length;
      return s;
    }
    case 'object': {
      const s: JsonSchema = { type: 'object', properties: Object.fromEntries(t.props.map((p) => [p.name, schemaOf(p.type, defs, used)])) };
      const required = t.props.filter((p) => !p.optional).map((p) => p.name);
      if (required.length > 0) s.required = required;
      if (t.rest) s.additionalProperties = schemaOf(t.rest, defs, used);
      return s;
    }
    case 'union': {
      if (t.members.every((m) => m.kind === 'literal')) {
        return { enum: t.members.map((m) => (m as { value: unknown }).value) };
      }
      const members = t.members.map((m) => schemaOf(m, defs, used));
      return t.discriminant !== undefined ? { oneOf: members } : { anyOf: members };
    }
    case 'ref': {
      if (!used.has(t.name)) {
        used.add(t.name);
        const def = defs.get(t.name);
        if (def) schemaOf(def.type, defs, used);
      }
      return { $ref: `#/$defs/${t.name}` };
    }
  }
}

export interface MethodSchemas {
  params: JsonSchema;
  result: JsonSchema;
  /** Named types each schema refers to (emitted once per file as `$defs`). */
  paramsDefs: string[];
  resultDefs: string[];
}

export function methodSchemas(method: MethodModel, defs: ReadonlyMap<string, TypeDef>): MethodSchemas {
  const paramsUsed = new Set<string>();
  const params: JsonSchema = {
    type: 'object',
    properties: Object.fromEntries(method.params.map((p) => [p.name, schemaOf(p.type, defs, paramsUsed)])),
  };
  const required = method.params.filter((p) => !p.optional).map((p) => p.name);
  if (required.length > 0) params.required = required;
  const resultUsed = new Set<string>();
  const result = schemaOf(method.result, defs, resultUsed);
  if (method.resultOptional) {
    // undefined travels as null.
    return { params, result: { anyOf: [result, { type: 'null' }] }, paramsDefs: [...paramsUsed].sort(), resultDefs: [...resultUsed].sort() };
  }
  return { params, result, paramsDefs: [...paramsUsed].sort(), resultDefs: [...resultUsed].sort() };
}

/** Schemas of every named type, by name. */
export function defSchemas(defs: ReadonlyMap<string, TypeDef>): Map<string, JsonSchema> {
  const out = new Map<string, JsonSchema>();
  for (const [name, def] of defs) {
    out.set(name, schemaOf(def.type, defs, new Set()));
  }
  return out;
}

/**
 * The contract hash: sha-256 over the canonical JSON of every method's parameter names and
 * schemas (with the named types they use inlined under $defs), method names sorted. It changes
 * when anything a caller sends or receives changes, and not when comments or formatting do.
 */
export function contractHash(service: ServiceModel, defs: ReadonlyMap<string, TypeDef>): string {
  const all = defSchemas(defs);
  const methods = [...service.methods]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((m) => {
      const s = methodSchemas(m, defs);
      const withDefs = (schema: JsonSchema, names: string[]) =>
        names.length === 0 ? schema : { ...schema, $defs: Object.fromEntries(names.map((n) => [n, all.get(n)])) };
      return [m.name, m.params.map((p) => p.name), withDefs(s.params, s.paramsDefs), withDefs(s.result, s.resultDefs)];
    });
  return createHash('sha256').update(canonicalJson(methods)).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted, so the hash does not depend on property order in memory. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
