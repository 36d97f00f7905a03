/**
 * What every part of the reader shares: the checker and program, where problems go, and how a
 * node becomes a `file:line` location. Also which declarations come from the standard library
 * (or @types/node): those are recognised by name (Date, Uint8Array) or refused with a hint,
 * never read as user data types.
 */
import { ts } from 'ts-morph';
import type { Loc, Problem, WireType } from '../model.js';
import { rel } from './project.js';

/** Where a type is being read: the node a problem points at and the path shown (`Postcard.onClick`). */
export interface Ctx {
  node: ts.Node;
  where: string;
}

export class ReadContext {
  readonly checker: ts.TypeChecker;
  readonly program: ts.Program;
  readonly #root: string;
  readonly #report: (p: Problem) => void;

  constructor(program: ts.Program, root: string, report: (p: Problem) => void) {
    this.program = program;
    this.checker = program.getTypeChecker();
    this.#root = root;
    this.#report = report;
  }

  loc(node: ts.Node): Loc {
    const sf = node.getSourceFile();
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    return { file: rel(this.#root, sf.fileName), line: line + 1 };
  }

  /** Report a problem at ctx; returns `unknown` so conversion can go on and find the others. */
  problem(ctx: Ctx, message: string, hint?: string): WireType {
    this.#report({ loc: this.loc(ctx.node), where: ctx.where, message, hint });
    return { kind: 'unknown' };
  }

  isLibSymbol(symbol: ts.Symbol): boolean {
    const decls = symbol.declarations ?? [];
    return decls.length > 0 && decls.every((d) => this.isLibFile(d.getSourceFile()));
  }

  isLibFile(sf: ts.SourceFile): boolean {
    return this.program.isSourceFileDefaultLibrary(sf) || /[\\/]node_modules[\\/]@types[\\/]node[\\/]/.test(sf.fileName);
  }
}

export function declOf(symbol: ts.Symbol): ts.Declaration | undefined {
  return symbol.valueDeclaration ?? symbol.declarations?.[0];
}
