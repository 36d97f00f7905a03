/**
 * Failures of access control: what a node's certificate lets it publish, and the authorization
 * policy that says which identities may call which services.
 */
import { because, named } from './named.js';

export const AccessFailures = {
  // ---- publish rights (what a certificate lets a node publish) ----
  notAServicePattern: named<{ pattern: string }>(
    'INVALID_ARGUMENT',
    (p) => `"${p.pattern}" is not a service a certificate can name: use <service>, <namespace>/<service>, <namespace>/* or *`,
  ),
  mayNotPublish: named<{ identity: string; name: string; service: string; mayPublish: string }>(
    'PERMISSION_DENIED',
    (p) => `this node's certificate (${p.identity}) does not let it publish "${p.service}"; it may publish: ${p.mayPublish} (issue it with \`meshrpc certs issue ${p.name} --services ...\`)`,
  ),

  // ---- the authorization policy (who may call what) ----
  policyNeedsTls: named(
    'FAILED_PRECONDITION',
    () => 'an authorization policy needs mutual TLS to know who calls: set MESHRPC_TLS_CA, MESHRPC_TLS_CERT and MESHRPC_TLS_KEY (docs/SECURITY.md)',
  ),
  policyNeedsCertificates: named(
    'FAILED_PRECONDITION',
    () => 'an authorization policy needs identities that certificates prove; with MESHRPC_CLUSTER_SECRET every holder of the secret can claim any name: use certificates from a CA (docs/SECURITY.md)',
  ),
  policyNotObject: named('INVALID_ARGUMENT', () => 'an authorization policy is an object: { "<service>[.<method>]": ["<identity>", ...] }'),
  policyBadKey: named<{ key: string }>(
    'INVALID_ARGUMENT',
    (p) => `authorization policy key "${p.key}" is not <service>, <namespace>/<service>, <namespace>/* or <service>.<method>`,
  ),
  policyBadEntry: named<{ key: string }>('INVALID_ARGUMENT', (p) => `authorization policy entry "${p.key}" must list identity names, spiffe:// URIs or "*"`),
  policyNotJson: named<{ why: string }>('INVALID_ARGUMENT', (p) => `MESHRPC_AUTHORIZATION is not valid JSON${because(p.why)}`),
  policyFileUnreadable: named<{ file: string; why: string }>('INVALID_ARGUMENT', (p) => `MESHRPC_AUTHORIZATION names ${p.file}, which cannot be read${because(p.why)}`),
  callerUnauthenticated: named<{ service: string }>(
    'UNAUTHENTICATED',
    (p) => `calls to "${p.service}" need an authenticated caller (mutual TLS); this one proved no identity`,
  ),
  callerNotAllowed: named<{ caller: string; service: string; method: string }>('PERMISSION_DENIED', (p) => `${p.caller} may not call ${p.service}.${p.method}`, {
    details: (p) => ({ caller: p.caller, service: p.service, method: p.method }),
  }),
} as const;
