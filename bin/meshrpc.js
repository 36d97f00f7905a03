#!/usr/bin/env node
// The meshrpc command. In a checkout (src/ present) it runs the TypeScript source through tsx;
// in an installed build it runs the compiled CLI from dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  const dist = [new URL('../dist/cli/main.js', import.meta.url), new URL('../dist/src/cli/main.js', import.meta.url)].find((u) => existsSync(u));
  if (!dist) {
    console.error('meshrpc: cannot find the CLI (neither src/cli/main.ts nor dist/cli/main.js)');
    process.exit(1);
  }
  cli = await import(dist.href);
}
process.exitCode = await cli.main(process.argv);
