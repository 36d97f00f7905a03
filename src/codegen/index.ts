/**
 * `meshrpc expose` as a library: generate the typed client, handler, validators, schemas and
 * proto for service interfaces, plan and apply the writes, or check generated files for staleness.
 */
export { generate, sourceFiles, type GenerateOptions, type GenerateResult, type GeneratedFile } from './generate.js';
export { applyPlan, makePlan, renderPlan, staleFiles, realFs, type Action, type Plan, type PlanFs } from './plan.js';
export { CodegenError, formatProblem, type Problem, type WireType, type TypeDef, type ServiceModel, type MethodModel, type SourceModel } from './model.js';
export { DEFAULT_RUNTIME_MODULE, GENERATED_HEADER } from './emit.js';
export { generatorVersion, RUNTIME_VERSION } from './version.js';
export { compilerVersion } from './compiler/index.js';
