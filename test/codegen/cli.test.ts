/**
 * `meshrpc expose` as a command: the plan, the prompt, -y, refusal without a terminal,
 * all-or-nothing writing (with a failing second write or rename), --check on fresh and stale
 * files, service selection, and the one error list for unsupported types.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runExpose, type ExposeFlags } from '../../src/cli/expose.js';
import type { CliIO } from '../../src/cli/io.js';
import { realFs, type PlanFs } from '../../src/codegen/index.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

interface TestIO extends CliIO {
  stdout: string[];
  stderr: string[];
  questions: string[];
}

function testIO(cwd: string, { interactive = false, answer = true } = {}): TestIO {
  const io: TestIO = {
    stdout: [],
    stderr: [],
    questions: [],
    cwd,
    interactive,
    out: (t) => void io.stdout.push(t),
    err: (t) => void io.stderr.push(t),
    confirm: async (q) => {
      io.questions.push(q);
      return answer;
    },
  };
  return io;
}

let project: string;
let greeterDir: string;
const meshFile = () => path.join(greeterDir, 'greeter.mesh.ts');
const protoFile = () => path.join(greeterDir, 'greeter.proto');

beforeEach(() => {
  project = mkdtempSync(path.join(tmpdir(), 'meshrpc-expose-'));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'demo', type: 'module', scripts: { generate: 'meshrpc expose -y src/greeter' } }));
  greeterDir = path.join(project, 'src', 'greeter');
  mkdirSync(greeterDir, { recursive: true });
  cpSync(path.join(repo, 'examples/greeter/service.ts'), path.join(greeterDir, 'service.ts'));
});

afterEach(() => {
  rmSync(project, { recursive: true, force: true });
});

async function expose(io: TestIO, flags: ExposeFlags = {}, target = 'src/greeter', fs?: PlanFs) {
  return runExpose(target, flags, io, fs);
}

describe('meshrpc expose', () => {
  it('prints the plan with project-relative paths, asks, and writes on yes', async () => {
    const io = testIO(project, { interactive: true, answer: true });
    expect(await expose(io, { proto: true })).toBe(0);
    const plan = io.stdout[0].split('\n');
    expect(plan[0]).toBe('Actions to be committed');
    expect(plan[1]).toBe('├── [1] dir [project]/src/greeter must exist');
    expect(plan[2]).toMatch(/^├── \[2\] write file \[project\]\/src\/greeter\/greeter\.mesh\.ts \(\d+ lines\)$/);
    expect(plan[3]).toMatch(/^└── \[3\] write file \[project\]\/src\/greeter\/greeter\.proto \(\d+ lines\)$/);
    const lines = Number(/\((\d+) lines\)/.exec(plan[2])![1]);
    expect(io.questions).toEqual(['Are you sure to apply these changes? (y/N)']);
    expect(readFileSync(meshFile(), 'utf8').split('\n').length - 1).toBe(lines);
    expect(existsSync(protoFile())).toBe(true);

    // A second run keeps both files and asks nothing.
    const again = testIO(project, { interactive: true });
    expect(await expose(again, { proto: true })).toBe(0);
    expect(again.stdout[0]).toContain('└── [3] keep file [project]/src/greeter/greeter.proto (unchanged)');
    expect(again.stdout[0]).toContain('├── [2] keep file [project]/src/greeter/greeter.mesh.ts (unchanged)');
    expect(again.questions).toEqual([]);
  });

  it('writes nothing when the answer is no', async () => {
    const io = testIO(project, { interactive: true, answer: false });
    expect(await expose(io)).toBe(1);
    expect(io.stderr.join('\n')).toContain('nothing was written');
    expect(existsSync(meshFile())).toBe(false);
  });

  it('with -y writes without asking', async () => {
    const io = testIO(project, { interactive: true });
    expect(await expose(io, { yes: true })).toBe(0);
    expect(io.questions).toEqual([]);
    expect(readFileSync(meshFile(), 'utf8')).toContain('export class GreeterClient implements GreeterService');
  });

  it('refuses without a terminal and without -y', async () => {
    const io = testIO(project, { interactive: false });
    expect(await expose(io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/refusing to write without confirmation.*-y/);
    expect(existsSync(meshFile())).toBe(false);
  });

  for (const failing of ['writeFileSync', 'renameSync'] as const) {
    it(`is all-or-nothing when the second ${failing} fails`, async () => {
      const before = '// hand-written, must survive\n';
      writeFileSync(meshFile(), before);
      let calls = 0;
      const fs: PlanFs = {
        ...realFs,
        [failing]: (...args: [string, string]) => {
          // writeFileSync: the 2nd temp file; renameSync: the 2nd target's swap (after the 1st is in place).
          calls++;
          if ((failing === 'writeFileSync' && calls === 2) || (failing === 'renameSync' && calls === 3)) throw new Error(`injected ${failing} failure`);
          return (realFs[failing] as (...a: [string, string]) => void)(...args);
        },
      };
      const io = testIO(project);
      expect(await expose(io, { yes: true, proto: true }, 'src/greeter', fs)).toBe(1);
      expect(io.stderr.join('\n')).toContain(`nothing was changed: injected ${failing} failure`);
      expect(readFileSync(meshFile(), 'utf8')).toBe(before);
      expect(existsSync(protoFile())).toBe(false);
      expect(readdirSync(greeterDir).sort()).toEqual(['greeter.mesh.ts', 'service.ts']);
    });
  }

  it('--check passes on fresh files and fails naming stale or missing ones', async () => {
    expect(await expose(testIO(project), { yes: true, proto: true })).toBe(0);
    const fresh = testIO(project);
    expect(await expose(fresh, { check: true, proto: true })).toBe(0);
    expect(fresh.stdout.join('\n')).toContain('2 generated files are up to date');

    writeFileSync(meshFile(), readFileSync(meshFile(), 'utf8') + '// edited\n');
    rmSync(protoFile());
    const stale = testIO(project);
    expect(await expose(stale, { check: true, proto: true })).toBe(1);
    const text = stale.stderr.join('\n');
    expect(text).toContain('[project]/src/greeter/greeter.mesh.ts (differs from what the source generates)');
    expect(text).toContain('[project]/src/greeter/greeter.proto (missing)');
    expect(readFileSync(meshFile(), 'utf8')).toContain('// edited'); // --check writes nothing

    // Editing the interface makes the generated file stale too.
    expect(await expose(testIO(project), { yes: true, proto: true })).toBe(0);
    const source = path.join(greeterDir, 'service.ts');
    writeFileSync(source, readFileSync(source, 'utf8').replace('greet(name: string): Promise<string>;', 'greet(name: string, loud?: boolean): Promise<string>;'));
    expect(await expose(testIO(project), { check: true, proto: true })).toBe(1);
  });

  it('picks services with -M and --interface, names them with -P, and keeps names apart', async () => {
    const corpus = path.join(project, 'src', 'corpus');
    mkdirSync(corpus);
    cpSync(path.join(repo, 'test/fixtures/codegen/corpus/shared.ts'), path.join(corpus, 'shared.ts'));
    writeFileSync(
      path.join(corpus, 'two.ts'),
      'export interface UserProfileService { get(id: string): Promise<string>; }\nexport interface MathService { add(a: number, b: number): number; }\n',
    );
    const both = testIO(project);
    expect(await expose(both, { yes: true }, 'src/corpus')).toBe(0);
    const two = readFileSync(path.join(corpus, 'two.mesh.ts'), 'utf8');
    expect(two).toContain("name: 'user-profile'");
    expect(two).toContain('export const userProfileSpec');
    expect(two).toContain('export const mathSpec');
    expect(two).toContain('export class MathClient implements Promisified<MathService>');

    const one = testIO(project);
    expect(await expose(one, { yes: true, module: 'Math', service: 'calculator' }, 'src/corpus/two.ts')).toBe(0);
    const math = readFileSync(path.join(corpus, 'math.mesh.ts'), 'utf8');
    expect(math).toContain("name: 'calculator'");
    expect(math).not.toContain('userProfile');

    const byName = testIO(project);
    expect(await expose(byName, { yes: true, interface: 'Address', out: 'gen' }, 'src/corpus/shared.ts')).toBe(1);
    expect(byName.stderr.join('\n')).toContain('Address.street: only methods can be exposed');

    const tooMany = testIO(project);
    expect(await expose(tooMany, { yes: true, service: 'x' }, 'src/corpus/two.ts')).toBe(1);
    expect(tooMany.stderr.join('\n')).toContain('pick one with -M');

    const none = testIO(project);
    expect(await expose(none, { yes: true, module: 'Nope' }, 'src/corpus')).toBe(1);
    expect(none.stderr.join('\n')).toContain('found no exported interface named NopeService');
  });

  it('fails with one list of every unsupported type, with file:line and hints, writing nothing', async () => {
    const bad = path.join(project, 'src', 'bad');
    mkdirSync(bad);
    cpSync(path.join(repo, 'test/fixtures/codegen/bad/bad.ts'), path.join(bad, 'bad.ts'));
    const io = testIO(project);
    expect(await expose(io, { yes: true }, 'src/bad')).toBe(1);
    const text = io.stderr.join('\n');
    const expected = [
      ['src/bad/bad.ts:2', 'Account', 'class Account has methods'],
      ['src/bad/bad.ts:10', 'Holder.onChange', 'function-typed values'],
      ['src/bad/bad.ts:11', 'Holder.key', 'symbols cannot travel'],
      ['src/bad/bad.ts:15', 'BadService.callback(fn)', 'function-typed values'],
      ['src/bad/bad.ts:16', 'BadService.sym(s)', 'symbols cannot travel'],
      ['src/bad/bad.ts:18', 'BadService.rest(items)', 'rest parameters'],
      ['src/bad/bad.ts:19', 'BadService.over', 'overloaded method'],
      ['src/bad/bad.ts:21', 'BadService.generic', 'method with unbound type parameters <T>'],
      ['src/bad/bad.ts:23', 'BadService.map(m)', 'Map is not a data type'],
      ['src/bad/bad.ts:24', 'BadService.ambiguous(v)', 'the receiver cannot tell string and date apart'],
      ['src/bad/bad.ts:25', 'BadService.version', 'only methods'],
    ];
    expect(text).toContain(`found ${expected.length} problems`);
    for (const [loc, where, message] of expected) {
      expect(text).toMatch(new RegExp(`${loc.replace(/[.]/g, '\\.')}  ${where.replace(/[.()<>]/g, '\\$&')}: ${message}.*\\n\\s+hint: `));
    }
    expect(text).toContain('Nothing was written.');
    expect(readdirSync(bad)).toEqual(['bad.ts']);
  });
});

describe('the meshrpc launcher', () => {
  it('runs the check CI uses on the examples', async () => {
    const { stdout } = await run(process.execPath, [path.join(repo, 'bin/meshrpc.js'), 'expose', '--check', '--proto', 'examples/greeter'], { cwd: repo, timeout: 60_000 });
    expect(stdout).toContain('2 generated files are up to date');
  }, 90_000);

  it('refuses to write when stdin is not a terminal', async () => {
    const result = await run(process.execPath, [path.join(repo, 'bin/meshrpc.js'), 'expose', 'src/greeter'], { cwd: project, timeout: 60_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('refusing to write without confirmation');
    expect(existsSync(meshFile())).toBe(false);
  }, 90_000);
});
