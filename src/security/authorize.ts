/**
 * Who may call what: an authorization policy as a server interceptor, so it sees every call a
 * node serves, on its links and to itself, before any handler runs.
 *
 *   authorize({ greeter: ['gateway', 'billing'], 'greeter.reset': ['ops'], 'billing/*': ['gateway'] })
 *
 * A key names a service (`greeter`, `billing/invoices` in a namespace, `billing/*` for a whole
 * namespace) or one method (`greeter.reset`); the most specific key that matches decides. Values
 * are identity names (`gateway`, as in spiffe://<trust domain>/gateway), whole spiffe URIs, or
 * `*` for any authenticated caller. A service no key names is open to any authenticated caller:
 * that is the default. A call whose caller proved no identity (a plaintext link, a transport with
 * no per-call identity) is refused with UNAUTHENTICATED; a caller outside the policy gets
 * PERMISSION_DENIED.
 */
import { readFileSync } from 'node:fs';
import type { CallContext } from '../core/context.js';
import { DEFAULT_NAMESPACE } from '../core/endpoint.js';
import { MeshError } from '../core/errors.js';
import { Failures } from '../core/failures.js';
import type { ServerInterceptor } from '../pipeline/interceptor.js';
import { isNameToken } from './identity.js';

export type AuthorizationPolicy = Readonly<Record<string, readonly string[]>>;

// Checked for shape only: a call's keys are built from its context, never parsed out of these.
const KEY = /^(?:[^/\s]+\/)?[^/\s]+$/;

/** Check a policy's shape once, when it is set, so a typo fails at start and not on a call. */
export function parsePolicy(policy: unknown): Map<string, ReadonlySet<string>> {
  if (!policy || typeof policy !== 'object' || Array.isArray(policy)) {
    throw Failures.policyNotObject();
  }
  const rules = new Map<string, ReadonlySet<string>>();
  for (const [key, callers] of Object.entries(policy)) {
    if (!KEY.test(key)) {
      throw Failures.policyBadKey({ key });
    }
    if (!Array.isArray(callers) || !callers.every((c) => typeof c === 'string' && (c === '*' || isNameToken(c) || c.startsWith('spiffe://')))) {
      throw Failures.policyBadEntry({ key });
    }
    rules.set(canonical(key), new Set(callers as string[]));
  }
  return rules;
}

/** The default namespace is implied: `greeter` and `default/greeter` are one key. */
function canonical(key: string): string {
  return key.startsWith(`${DEFAULT_NAMESPACE}/`) ? key.slice(DEFAULT_NAMESPACE.length + 1) : key;
}

/** The rule for a call: method, then service, then namespace; undefined when none names it. */
function ruleFor(rules: Map<string, ReadonlySet<string>>, ctx: CallContext): ReadonlySet<string> | undefined {
  const service = ctx.namespace === DEFAULT_NAMESPACE ? ctx.service : `${ctx.namespace}/${ctx.service}`;
  return rules.get(`${service}.${ctx.method}`) ?? rules.get(service) ?? rules.get(`${ctx.namespace}/*`);
}

export function authorize(policy: AuthorizationPolicy): ServerInterceptor {
  const rules = parsePolicy(policy);
  return (ctx, next) => {
    const identity = ctx.caller?.identity;
    if (!identity) {
      return Promise.reject(Failures.callerUnauthenticated({ service: ctx.service }));
    }
    const allowed = ruleFor(rules, ctx);
    if (allowed && !allowed.has('*') && !allowed.has(identity.name) && !allowed.has(identity.uri)) {
      return Promise.reject(Failures.callerNotAllowed({ caller: identity.uri, service: ctx.service, method: ctx.method }));
    }
    return next();
  };
}

/**
 * MESHRPC_AUTHORIZATION: the policy as JSON, or the path of a JSON file holding it (a mounted
 * ConfigMap or secret). Undefined when unset.
 */
export function policyFromEnv(value: string | undefined): AuthorizationPolicy | undefined {
  if (!value || value.trim() === '') return undefined;
  const text = value.trimStart().startsWith('{') ? value : readPolicyFile(value);
  try {
    const policy = JSON.parse(text) as AuthorizationPolicy;
    parsePolicy(policy);
    return policy;
  } catch (err) {
    if (err instanceof MeshError) throw err;
    throw Failures.policyNotJson({ why: (err as Error).message });
  }
}

function readPolicyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw Failures.policyFileUnreadable({ file, why: (err as Error).message });
  }
}
