/**
 * Plan, show, apply, check. The plan compares generated contents with what is on disk; applying
 * it is all-or-nothing: every new content is first written to a temporary file beside its target,
 * then the targets are swapped in by rename, and on any failure the swapped ones are put back and
 * the temporaries removed, so no file is left half-written and files that existed are as they were.
 */
import * as nodeFs from 'node:fs';
import path from 'node:path';
import type { GeneratedFile } from './generate.js';

export type Action =
  | { kind: 'dir'; path: string; exists: boolean }
  | { kind: 'write'; path: string; content: string; exists: boolean }
  | { kind: 'keep'; path: string };

export interface Plan {
  root: string;
  actions: Action[];
}

/** The file system calls applying a plan makes (injectable, so tests can make one fail). */
export interface PlanFs {
  existsSync(p: string): boolean;
  readFileSync(p: string, encoding: 'utf8'): string;
  mkdirSync(p: string): void;
  rmdirSync(p: string): void;
  writeFileSync(p: string, data: string): void;
  renameSync(from: string, to: string): void;
  unlinkSync(p: string): void;
}

export const realFs: PlanFs = {
  existsSync: (p) => nodeFs.existsSync(p),
  readFileSync: (p, encoding) => nodeFs.readFileSync(p, encoding),
  mkdirSync: (p) => nodeFs.mkdirSync(p),
  rmdirSync: (p) => nodeFs.rmdirSync(p),
  writeFileSync: (p, data) => nodeFs.writeFileSync(p, data),
  renameSync: (from, to) => nodeFs.renameSync(from, to),
  unlinkSync: (p) => nodeFs.unlinkSync(p),
};

export function makePlan(root: string, files: readonly GeneratedFile[], fs: PlanFs = realFs): Plan {
  const actions: Action[] = [];
  const dirs = new Set<string>();
  for (const file of files) {
    const dir = path.dirname(file.path);
    if (!dirs.has(dir)) {
      dirs.add(dir);
      actions.push({ kind: 'dir', path: dir, exists: fs.existsSync(dir) });
    }
  }
  for (const file of files) {
    const exists = fs.existsSync(file.path);
    if (exists && fs.readFileSync(file.path, 'utf8') === file.content) actions.push({ kind: 'keep', path: file.path });
    else actions.push({ kind: 'write', path: file.path, content: file.content, exists });
  }
  return { root, actions };
}

/** Files whose content would change (the stale ones, for --check). */
export function staleFiles(plan: Plan): Extract<Action, { kind: 'write' }>[] {
  return plan.actions.filter((a): a is Extract<Action, { kind: 'write' }> => a.kind === 'write');
}

export function displayPath(root: string, p: string): string {
  const rel = path.relative(root, p).split(path.sep).join('/');
  return rel.startsWith('..') ? p : rel === '' ? '[project]' : `[project]/${rel}`;
}

function lineCount(content: string): number {
  if (content.length === 0) return 0;
  return content.split('\n').length - (content.endsWith('\n') ? 1 : 0);
}

export function renderPlan(plan: Plan): string {
  const lines = ['Actions to be committed'];
  plan.actions.forEach((a, i) => {
    const branch = i === plan.actions.length - 1 ? '└──' : '├──';
    const where = displayPath(plan.root, a.path);
    let text: string;
    if (a.kind === 'dir') text = `dir ${where} must exist`;
    else if (a.kind === 'keep') text = `keep file ${where} (unchanged)`;
    else text = `write file ${where} (${lineCount(a.content)} lines)`;
    lines.push(`${branch} [${i + 1}] ${text}`);
  });
  return lines.join('\n');
}

/** Apply every write of the plan, or none. Throws the first failure after rolling back. */
export function applyPlan(plan: Plan, fs: PlanFs = realFs): void {
  const tag = `.meshrpc-${process.pid}-${Date.now().toString(36)}`;
  const createdDirs: string[] = [];
  const temps: string[] = [];
  const swapped: { target: string; backup: string | undefined }[] = [];
  const writes = staleFiles(plan);
  try {
    for (const a of plan.actions) {
      if (a.kind === 'dir' && !fs.existsSync(a.path)) {
        for (const d of missingDirs(a.path, fs)) {
          fs.mkdirSync(d);
          createdDirs.push(d);
        }
      }
    }
    // Phase 1: every new content next to its target. Nothing visible has changed yet.
    for (const w of writes) {
      const temp = `${w.path}${tag}.tmp`;
      temps.push(temp);
      fs.writeFileSync(temp, w.content);
    }
    // Phase 2: swap in, keeping the old file as a backup until all are in place.
    for (let i = 0; i < writes.length; i++) {
      const target = writes[i].path;
      let backup: string | undefined;
      if (fs.existsSync(target)) {
        backup = `${target}${tag}.bak`;
        fs.renameSync(target, backup);
      }
      swapped.push({ target, backup });
      fs.renameSync(temps[i], target);
    }
  } catch (err) {
    rollback(fs, swapped, temps, createdDirs);
    throw err;
  }
  for (const s of swapped) if (s.backup) tryDo(() => fs.unlinkSync(s.backup!));
}

function rollback(fs: PlanFs, swapped: { target: string; backup: string | undefined }[], temps: string[], createdDirs: string[]): void {
  for (const s of swapped.reverse()) {
    if (s.backup) {
      if (fs.existsSync(s.backup)) {
        tryDo(() => fs.existsSync(s.target) && fs.unlinkSync(s.target));
        tryDo(() => fs.renameSync(s.backup!, s.target));
      }
    } else {
      tryDo(() => fs.existsSync(s.target) && fs.unlinkSync(s.target));
    }
  }
  for (const t of temps) tryDo(() => fs.existsSync(t) && fs.unlinkSync(t));
  for (const d of createdDirs.reverse()) tryDo(() => fs.rmdirSync(d));
}

function missingDirs(dir: string, fs: PlanFs): string[] {
  const out: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) {
    out.unshift(d);
    if (path.dirname(d) === d) break;
  }
  return out;
}

function tryDo(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // Best effort while undoing; the original error is what the caller sees.
  }
}
