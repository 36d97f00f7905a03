/**
 * The compiler module: the only code that touches the TypeScript compiler (ts-morph and its
 * bundled `ts`). The rest of src/codegen imports from here and reads only the model
 * (model.ts), so replacing the compiler means rewriting this folder and nothing else.
 *
 *   project.ts      a program for a project (its tsconfig), a whole-project type check
 *   context.ts      shared reading state: checker, problems with file:line, library symbols
 *   services.ts     interfaces and methods → ServiceModel, with the rules for callable methods
 *   types.ts        resolved types → WireType / TypeDef, with the nesting bound
 *   annotations.ts  the interface's own type text for the client, and what it must import
 */
export { readServices, type ReadOptions, type ReadResult, type SelectOptions } from './services.js';
export { compilerVersion, typeCheckProject } from './project.js';
export { MAX_DEPTH } from './types.js';
