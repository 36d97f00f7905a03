/**
 * The generated TypeScript file for one source: JSON Schemas, compiled validators, wire
 * conversions, and per service the spec (`<x>Spec`), the handler factory (`<x>Handler(impl)`), a
 * client class implementing the interface (`<X>Client`) and its factory (`<x>Client(caller)`).
 * Reads only the model; output is deterministic so `--check` can compare it byte for byte.
 */
import path from 'node:path';
import { ConversionEmitter } from './conversions.js';
import type { MethodModel, ServiceModel, SourceModel, TypeImport, TypeText } from './model.js';
import { isIdentifier, propAccess, propKey, quote, recordAccess, upperFirst } from './names.js';
import { printValue, raw } from './print.js';
import { contractHash, defSchemas, methodSchemas } from './schema.js';
import { indent, ValidatorEmitter } from './validators.js';
import { GENERATED_HEADER, generatorVersion, RUNTIME_VERSION } from './version.js';

export { GENERATED_HEADER } from './version.js';

/** Where generated code imports its runtime from, unless told otherwise. */
export const DEFAULT_RUNTIME_MODULE = 'meshrpc/runtime';

/**
 * The module specifier for the runtime. The bare package name means its runtime entry: the
 * root entry `meshrpc` does not carry the runtime (it did before runtime versions).
 */
export function runtimeModule(option: string | undefined): string {
  return option === undefined || option === 'meshrpc' ? DEFAULT_RUNTIME_MODULE : option;
}

export interface EmitOptions {
  /** Absolute path of the file being generated (imports are relative to it). */
  outFile: string;
  /** Project root, for the source path in the header. */
  root: string;
  /** Module the runtime is imported from. Default 'meshrpc/runtime' (see runtimeModule). */
  runtime?: string;
}

/** The exported names generated for one service. */
export function generatedNames(service: ServiceModel) {
  const id = service.ident;
  return {
    spec: `${id}Spec`,
    methods: `${id}Methods`,
    targets: `${id}Targets`,
    handler: `${id}Handler`,
    clientFactory: `${id}Client`,
    clientClass: `${upperFirst(id)}Client`,
  };
}

const RUNTIME_TYPES = ['Caller', 'CallOptions', 'MethodSpec', 'Promisified', 'ServiceHandler', 'ServiceSpec', 'ValidationProblem'];

export function emitTypeScript(source: SourceModel, options: EmitOptions): string {
  const runtime = runtimeModule(options.runtime);
  const outDir = path.dirname(options.outFile);
  const defs = source.defs;
  const validators = new ValidatorEmitter(defs);
  const conversions = new ConversionEmitter(defs);
  const runtimeValues = new Set<string>(['assertRuntime', 'createHandler', 'invokeMethod', 'mergeCallOptions']);
  const runtimeTypes = new Set<string>(['Caller', 'CallOptions', 'MethodSpec', 'ServiceHandler', 'ServiceSpec', 'ValidationProblem']);

  // Names this file declares or takes from the runtime; user type imports must not clash with them.
  const reserved = new Set<string>([...RUNTIME_TYPES, 'schemaDefs', 'assertRuntime', 'describeValue', 'prefixPaths', 'createHandler', 'invokeMethod', 'mergeCallOptions']);
  for (const s of source.services) for (const n of Object.values(generatedNames(s))) reserved.add(n);
  for (const name of defs.keys()) reserved.add(`check_${name}`);
  for (const helper of ['isWireDate', 'isWireBytes', 'isWireBigInt', 'dateToWire', 'dateFromWire', 'bytesToWire', 'bytesFromWire', 'bigintToWire', 'bigintFromWire']) reserved.add(helper);

  const userImports = new ImportSet(outDir, reserved);
  const interfaceRefs = new Map<ServiceModel, string>();
  for (const s of source.services) interfaceRefs.set(s, userImports.addInterface(s.interfaceName, s.interfaceFile));

  const allSchemas = defSchemas(defs);
  const serviceBlocks: string[] = [];
  const usedDefSchemas = new Set<string>();
  for (const service of source.services) {
    serviceBlocks.push(
      ...emitService(service, interfaceRefs.get(service)!, { validators, conversions, userImports, usedDefSchemas, runtimeTypes, defs: source.defs }),
    );
  }
  const validatorFunctions = validators.functions();
  const conversionFunctions = conversions.functions();
  const body = [...validatorFunctions, ...conversionFunctions].join('\n');
  for (const helper of ['describeValue', 'prefixPaths', 'isWireDate', 'isWireBytes', 'isWireBigInt']) {
    if (new RegExp(`\\b${helper}\\(`).test(body + serviceBlocks.join('\n'))) runtimeValues.add(helper);
  }
  for (const helper of conversions.helpers) runtimeValues.add(helper);
  if (source.services.some((s) => !s.methods.every((m) => m.async))) runtimeTypes.add('Promisified');
  if (!/\bValidationProblem\b/.test(body + serviceBlocks.join('\n'))) runtimeTypes.delete('ValidationProblem');

  const sourceLabel = path.relative(options.root, source.file).split(path.sep).join('/');
  const out: string[] = [
    GENERATED_HEADER,
    `// Source: ${sourceLabel} (${source.services.map((s) => s.interfaceName).join(', ')}). Regenerate with \`meshrpc expose\`.`,
    '',
    `import {`,
    ...[...runtimeValues].sort().map((v) => `  ${v},`),
    ...[...runtimeTypes].sort().map((t) => `  type ${t},`),
    `} from ${quote(runtime)};`,
    ...userImports.lines(),
    '',
    '// Fails at import, saying to regenerate, when this meshrpc cannot serve code from this generator.',
    `assertRuntime(${RUNTIME_VERSION}, ${quote(generatorVersion)});`,
    '',
  ];
  const used = [...usedDefSchemas].sort();
  if (used.length > 0) {
    const schemaObject = Object.fromEntries(used.map((n) => [n, allSchemas.get(n)]));
    out.push(
      '/** JSON Schemas (draft 2020-12) of the named types, for the method schemas below. */',
      `const schemaDefs = ${printValue(schemaObject, '', 19)} as const;`,
      '',
    );
  }
  out.push(...validators.constants);
  if (validators.constants.length > 0) out.push('');
  out.push(...validatorFunctions, ...conversionFunctions, ...serviceBlocks);
  while (out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}

interface ServiceContext {
  validators: ValidatorEmitter;
  conversions: ConversionEmitter;
  userImports: ImportSet;
  usedDefSchemas: Set<string>;
  runtimeTypes: Set<string>;
  defs: SourceModel['defs'];
}

function emitService(service: ServiceModel, iface: string, ctx: ServiceContext): string[] {
  const names = generatedNames(service);
  const hash = contractHash(service, ctx.defs);
  const out: string[] = [`// ---- ${service.interfaceName} as "${service.serviceName}" ${'-'.repeat(Math.max(4, 80 - service.interfaceName.length - service.serviceName.length))}`, ''];

  out.push(`const ${names.methods} = {`);
  for (const m of service.methods) out.push(...indent(emitMethodSpec(m, ctx)));
  out.push('} satisfies Record<string, MethodSpec>;', '');

  out.push(
    ...(service.doc ? [`/** ${service.doc.replace(/\*\//g, '*\\/').replace(/\n/g, '\n * ')} */`] : []),
    `export const ${names.spec}: ServiceSpec<${iface}> = {`,
    `  name: ${quote(service.serviceName)},`,
    `  contractHash: ${quote(hash)},`,
    `  methods: ${names.methods},`,
    '};',
    '',
    `const ${names.targets} = {`,
    ...service.methods.map((m) => `  ${propKey(m.name)}: { service: ${quote(service.serviceName)}, method: ${quote(m.name)} },`),
    '} as const;',
    '',
    `/** Binds an implementation of ${service.interfaceName}: validates arguments, then calls it. Publish the result on a mesh. */`,
    `export function ${names.handler}(impl: ${iface}): ServiceHandler<${iface}> {`,
    `  return createHandler(${names.spec}, impl);`,
    '}',
    '',
  );

  const allAsync = service.methods.every((m) => m.async);
  const implemented = allAsync ? iface : `Promisified<${iface}>`;
  out.push(
    `/** ${allAsync ? `A ${service.interfaceName}` : `${service.interfaceName} with every method async`} that calls "${service.serviceName}" through any Caller (mesh, NATS, in-process, ...). */`,
    `export class ${names.clientClass} implements ${implemented} {`,
    '  readonly #caller: Caller;',
    '  readonly #options: CallOptions;',
    '',
    '  constructor(caller: Caller, options: CallOptions = {}) {',
    '    this.#caller = caller;',
    '    this.#options = options;',
    '  }',
    '',
    '  /** A client whose calls carry these options (timeout, sticky key, metadata, signal), merged over this one\'s. */',
    `  with(options: CallOptions): ${names.clientClass} {`,
    `    return new ${names.clientClass}(this.#caller, mergeCallOptions(this.#options, options));`,
    '  }',
  );
  for (const m of service.methods) {
    const params = m.params.map((p, i) => {
      const text = ctx.userImports.use(p.typeText) ?? `Parameters<${iface}[${quote(m.name)}]>[${i}]`;
      return `${p.name}${p.optional ? '?' : ''}: ${text}`;
    });
    const resultText =
      m.result.kind === 'void' ? 'void' : ctx.userImports.use(m.resultText) ?? `Awaited<ReturnType<${iface}[${quote(m.name)}]>>`;
    const access = propAccess(m.name);
    out.push(
      '',
      ...(m.doc ? [`  /** ${m.doc.replace(/\*\//g, '*\\/').replace(/\n/g, '\n   * ')} */`] : []),
      `  ${propKey(m.name)}(${params.join(', ')}): Promise<${resultText}> {`,
      `    return invokeMethod(this.#caller, ${names.targets}${access}, ${names.methods}${access}, [${m.params.map((p) => p.name).join(', ')}], this.#options) as Promise<${resultText}>;`,
      '  }',
    );
  }
  out.push(
    '}',
    '',
    `/** A typed client for "${service.serviceName}"; \`.with({ timeout, stickyKey, metadata })\` for per-call options. */`,
    `export function ${names.clientFactory}(caller: Caller, options?: CallOptions): ${names.clientClass} {`,
    `  return new ${names.clientClass}(caller, options);`,
    '}',
    '',
  );
  return out;
}

function emitMethodSpec(m: MethodModel, ctx: ServiceContext): string[] {
  const schemas = methodSchemas(m, ctx.defs);
  for (const n of [...schemas.paramsDefs, ...schemas.resultDefs]) ctx.usedDefSchemas.add(n);
  const withDefs = (schema: Record<string, unknown>, names: string[]) =>
    names.length === 0 ? schema : { ...schema, $defs: Object.fromEntries(names.map((n) => [n, raw(`schemaDefs${propAccess(n)}`)])) };
  const lines = [
    `${propKey(m.name)}: {`,
    `  params: [${m.params.map((p) => quote(p.name)).join(', ')}],`,
    `  paramsSchema: ${printValue(withDefs(schemas.params, schemas.paramsDefs), '  ', 16)},`,
    `  resultSchema: ${printValue(withDefs(schemas.result, schemas.resultDefs), '  ', 16)},`,
    ...indent(validateParams(ctx.validators.paramsValidator(m.params))),
  ];
  const conv = ctx.conversions;
  if (m.params.some((p) => conv.needs(p.type))) {
    for (const dir of ['to', 'from'] as const) {
      lines.push(`  params${dir === 'to' ? 'To' : 'From'}Wire(args: Record<string, unknown>): Record<string, unknown> {`, '    const r: Record<string, any> = { ...args };');
      for (const p of m.params) {
        const access = `r${recordAccess(p.name)}`;
        const expr = conv.expr(p.type, access, dir);
        if (!expr) continue;
        lines.push(`    if (${access} !== undefined) ${access} = ${expr};`);
      }
      lines.push('    return r;', '  },');
    }
  }
  const resultConv = m.result.kind === 'void' ? undefined : conv.needs(m.result);
  if (resultConv) {
    const toExpr = conv.expr(m.result, 'value', 'to');
    lines.push('  resultToWire(value: any): unknown {', `    return value === undefined ? value : ${toExpr};`, '  },');
  }
  if (m.result.kind === 'void') {
    // void travels as null; callers get undefined back, as the interface says.
    lines.push('  resultFromWire(): undefined {', '    return undefined;', '  },');
  }
  if (resultConv || m.resultOptional) {
    const fromExpr = resultConv ? conv.expr(m.result, 'value', 'from') : 'value';
    lines.push(
      '  resultFromWire(value: any): unknown {',
      m.resultOptional ? `    return value === null || value === undefined ? undefined : ${fromExpr};` : `    return ${fromExpr};`,
      '  },',
    );
  }
  lines.push('},');
  return lines;
}

/** `validateParams`, taking no arguments when there is nothing to check (noUnusedParameters). */
function validateParams(body: string[] | undefined): string[] {
  if (body === undefined) return ['validateParams(): undefined {', '  return undefined;', '},'];
  return ['validateParams(args: Record<string, unknown>): ValidationProblem[] | undefined {', ...indent(body), '},'];
}

/** The generated file's imports of user types, refusing names that would clash. */
class ImportSet {
  readonly #outDir: string;
  readonly #reserved: Set<string>;
  /** module specifier -> local -> imported */
  readonly #modules = new Map<string, Map<string, string>>();
  /** local -> module specifier + imported, to detect one name from two places */
  readonly #locals = new Map<string, string>();

  constructor(outDir: string, reserved: Set<string>) {
    this.#outDir = outDir;
    this.#reserved = reserved;
  }

  #specifier(from: TypeImport['from']): string {
    if ('pkg' in from) return from.pkg;
    let rel = path.relative(this.#outDir, from.file).split(path.sep).join('/');
    rel = rel.replace(/\.d\.ts$/, '.js').replace(/\.tsx?$/, '.js').replace(/\.mts$/, '.mjs').replace(/\.cts$/, '.cjs');
    return rel.startsWith('.') ? rel : `./${rel}`;
  }

  #canAdd(imp: TypeImport): boolean {
    if (this.#reserved.has(imp.local)) return false;
    const key = `${this.#specifier(imp.from)}|${imp.imported}`;
    const existing = this.#locals.get(imp.local);
    return existing === undefined || existing === key;
  }

  #add(imp: TypeImport): void {
    const spec = this.#specifier(imp.from);
    this.#locals.set(imp.local, `${spec}|${imp.imported}`);
    let names = this.#modules.get(spec);
    if (!names) this.#modules.set(spec, (names = new Map()));
    names.set(imp.local, imp.imported);
  }

  /** Import the service interface; returns the local name to use for it. */
  addInterface(name: string, file: string): string {
    let local = name;
    for (let n = 2; !this.#canAdd({ local, imported: name, from: { file } }); n++) local = `${name}_${n}`;
    this.#add({ local, imported: name, from: { file } });
    this.#reserved.add(local);
    return local;
  }

  /** The annotation text if all its imports fit, registering them; otherwise undefined. */
  use(text: TypeText | undefined): string | undefined {
    if (!text) return undefined;
    if (!text.imports.every((i) => this.#canAdd(i))) return undefined;
    for (const i of text.imports) this.#add(i);
    return text.text;
  }

  lines(): string[] {
    const out: string[] = [];
    for (const spec of [...this.#modules.keys()].sort()) {
      const names = this.#modules.get(spec)!;
      const named: string[] = [];
      for (const [local, imported] of [...names].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        if (imported === '*') out.push(`import type * as ${local} from ${quote(spec)};`);
        else if (imported === 'default') out.push(`import type ${local} from ${quote(spec)};`);
        else named.push(imported === local ? local : `${isIdentifier(imported) ? imported : quote(imported)} as ${local}`);
      }
      if (named.length > 0) out.push(`import type { ${named.join(', ')} } from ${quote(spec)};`);
    }
    return out;
  }
}
