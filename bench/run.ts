/**
 * `npm run bench`: every benchmark in one run, each printing its ratios against a baseline
 * measured in the same run. Each suite runs in its own process so one cannot skew another's
 * heap or JIT state. BENCH_SECONDS sets the length of each measurement (default 3);
 * BENCH_ONLY=mesh,gateway runs a subset.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const suites: [name: string, file: string][] = [
  ['mesh', 'bench/mesh.ts'],
  ['validation', 'bench/validation.ts'],
  ['gateway', 'bench/gateway.ts'],
  ['transports', 'bench/transports.ts'],
  ['membership', 'bench/membership.ts'],
];
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());

let failed = 0;
for (const [name, file] of suites) {
  if (only && !only.includes(name)) continue;
  if (!existsSync(`${root}${file}`)) continue;
  console.log(`\n=== ${name} (${file}) ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: 'inherit', timeout: 10 * 60_000 });
  if (r.status !== 0) {
    failed++;
    console.log(`${name}: exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
