#!/usr/bin/env node
// The meshrpc command inside a checkout of this repository: it runs the TypeScript source
// through tsx (a dev dependency). The installed package's command is dist/cli/bin.js, compiled
// JavaScript with no dev dependency (package.json "bin").
const { register } = await import('tsx/esm/api');
register();
const cli = await import(new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await cli.main(process.argv);
