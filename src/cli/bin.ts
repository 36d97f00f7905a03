#!/usr/bin/env node
/**
 * The installed `meshrpc` command: compiled to dist/cli/bin.js and named by package.json's `bin`,
 * so it runs plain JavaScript with no dev dependency. A checkout runs bin/meshrpc.js instead,
 * which loads the TypeScript source through tsx.
 */
import { main } from './main.js';

process.exitCode = await main(process.argv);
