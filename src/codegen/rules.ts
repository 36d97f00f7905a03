/**
 * Rules the model must satisfy beyond what the reader checks type by type: a union whose members
 * need wire conversion (Date, Uint8Array, bigint) must let the receiver tell its members apart
 * by what arrives, since all three travel as strings.
 */
import { deref, needsConversion, wireClass, type Problem, type SourceModel, type TypeDef, type WireType } from './model.js';

export function checkRules(source: SourceModel): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<WireType>();
  const visitedDefs = new Set<string>();
  const visit = (t: WireType): void => {
    if (seen.has(t)) return;
    seen.add(t);
    switch (t.kind) {
      case 'array':
        return visit(t.items);
      case 'tuple':
        return t.items.forEach(visit);
      case 'object':
        t.props.forEach((p) => visit(p.type));
        if (t.rest) visit(t.rest);
        return;
      case 'ref': {
        if (visitedDefs.has(t.name)) return;
        visitedDefs.add(t.name);
        const def = source.defs.get(t.name);
        if (def) visit(def.type);
        return;
      }
      case 'union':
        t.members.forEach(visit);
        checkUnion(t, source.defs, problems);
        return;
      default:
        return;
    }
  };
  for (const service of source.services) {
    for (const m of service.methods) {
      m.params.forEach((p) => visit(p.type));
      visit(m.result);
    }
  }
  return problems;
}

function checkUnion(t: Extract<WireType, { kind: 'union' }>, defs: ReadonlyMap<string, TypeDef>, problems: Problem[]): void {
  if (!t.members.some((m) => needsConversion(m, defs))) return;
  const loc = t.loc ?? { file: '?', line: 0 };
  const where = t.where ?? 'union';
  const names = (ms: WireType[]) => ms.map((m) => (m.kind === 'ref' ? m.name : deref(m, defs).kind)).join(' and ');
  const strings = t.members.filter((m) => wireClass(m, defs) === 'string');
  if (strings.length > 1 && strings.some((m) => needsConversion(m, defs))) {
    problems.push({
      loc,
      where,
      message: `the receiver cannot tell ${names(strings)} apart: all travel as strings`,
      hint: 'wrap one side in an object with a discriminant, e.g. { kind: "date", at: Date }',
    });
  }
  for (const cls of ['array', 'object'] as const) {
    const members = t.members.filter((m) => wireClass(m, defs) === cls);
    if (members.length > 1 && members.some((m) => needsConversion(m, defs)) && (cls === 'array' || t.discriminant === undefined)) {
      problems.push({
        loc,
        where,
        message: `the receiver cannot tell the ${cls} members (${names(members)}) apart, and one holds a Date, Uint8Array or bigint`,
        hint: cls === 'object' ? 'give every member a literal discriminant property, e.g. kind: "a"' : 'use one array type, or wrap the arrays in objects with a discriminant',
      });
    }
  }
  if (t.members.some((m) => wireClass(m, defs) === 'any' && needsConversion(m, defs))) {
    problems.push({ loc, where, message: 'a nested union holding a Date, Uint8Array or bigint cannot be converted unambiguously', hint: 'flatten the union or add a discriminant' });
  }
}
