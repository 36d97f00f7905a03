/**
 * Readable annotations for the generated client: the interface's own type text
 * (`sendPostcard(card: Postcard)`) with what to import for each name it uses, or nothing when a
 * name cannot be imported into the generated file (not exported, a `typeof`, `this`), in which
 * case the emitter falls back to `Parameters<...>`. The only place the reader looks at syntax.
 */
import { ts } from 'ts-morph';
import type { TypeImport, TypeText } from '../model.js';
import type { ReadContext } from './context.js';

/** The annotation of a method's result, unwrapping `Promise<T>`; none for an async method declared otherwise. */
export function resultText(rc: ReadContext, node: ts.TypeNode | undefined, async: boolean): TypeText | undefined {
  if (!node) return undefined;
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && node.typeName.text === 'Promise' && node.typeArguments?.length === 1) {
    return typeText(rc, node.typeArguments[0]);
  }
  return async ? undefined : typeText(rc, node);
}

/** The source's annotation, if every name in it can be imported into the generated file. */
export function typeText(rc: ReadContext, node: ts.TypeNode | undefined): TypeText | undefined {
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
      const found = importFor(rc, id, node);
      if (found === false) ok = false;
      else if (found) imports.push(found);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return ok ? { text: node.getText(node.getSourceFile()), imports } : undefined;
}

/** What to import for a name used in an annotation: null when global, false when impossible. */
function importFor(rc: ReadContext, id: ts.Identifier, within: ts.TypeNode): TypeImport | null | false {
  const checker = rc.checker;
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
  if (rc.isLibFile(sf) || !ts.isExternalModule(sf)) return null;
  if (/[\\/]node_modules[\\/]/.test(sf.fileName)) return false;
  const moduleSymbol = checker.getSymbolAtLocation(sf);
  const exported = moduleSymbol ? checker.getExportsOfModule(moduleSymbol).find((e) => e.name === id.text) : undefined;
  if (!exported) return false;
  const resolved = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  if (resolved !== symbol) return false;
  return { local: id.text, imported: id.text, from: { file: sf.fileName } };
}
