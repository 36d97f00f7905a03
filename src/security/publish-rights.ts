/**
 * Which services a node may publish, as its certificate says. The identity's own name is always
 * one (`spiffe://td/greeter` may publish `greeter`); a certificate names more with URI SANs
 * `urn:meshrpc:service:<service>` (`billing/invoices` for a namespace, `billing/*` for all of
 * one, `*` for any). URI SANs are what every CA can issue (cert-manager's `uris`, step-ca,
 * Vault, openssl), where a private X.509 extension would need our own OID and tooling.
 *
 * A peer's services outside its rights are dropped from what this node routes to, and logged:
 * a node with a valid certificate for `billing` cannot take `greeter`'s calls.
 */
import type { X509Certificate } from 'node:crypto';
import { DEFAULT_NAMESPACE } from '../core/endpoint.js';
import { Failures } from '../core/failures.js';
import { META_NAMESPACE } from '../service/describe.js';
import { isNameToken, type Identity } from './identity.js';

export const SERVICE_URI_PREFIX = 'urn:meshrpc:service:';


/** A service pattern a certificate can grant: `name`, `namespace/name`, `namespace/*` or `*`. */
export function isServicePattern(value: string): boolean {
  if (value === '*') return true;
  const [first, second, ...rest] = value.split('/');
  if (rest.length > 0 || !isNameToken(first!)) return false;
  return second === undefined || second === '*' || isNameToken(second);
}

export function serviceUri(pattern: string): string {
  if (!isServicePattern(pattern)) {
    throw Failures.notAServicePattern({ pattern });
  }
  return SERVICE_URI_PREFIX + pattern;
}

/** The service patterns among a certificate's subject alternative names. */
export function servicePatternsOf(cert: Pick<X509Certificate, 'subjectAltName'>): string[] {
  return (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith(`URI:${SERVICE_URI_PREFIX}`))
    .map((entry) => entry.slice(`URI:${SERVICE_URI_PREFIX}`.length))
    .filter(isServicePattern);
}

export class PublishRights {
  readonly #patterns: ReadonlySet<string>;

  constructor(
    readonly identity: Identity,
    patterns: Iterable<string>,
  ) {
    this.#patterns = new Set([identity.name, ...patterns]);
  }

  static of(identity: Identity, cert: Pick<X509Certificate, 'subjectAltName'>): PublishRights {
    return new PublishRights(identity, servicePatternsOf(cert));
  }

  allows(namespace: string | undefined, name: string): boolean {
    const p = this.#patterns;
    if (p.has('*')) return true;
    // A service's description goes with it (`__meta/<name>`, published by `publish` itself).
    if (namespace === META_NAMESPACE) return [...p].some((q) => q === name || q.endsWith(`/${name}`) || q.endsWith('/*'));
    if (namespace === undefined || namespace === DEFAULT_NAMESPACE) return p.has(name) || p.has(`${DEFAULT_NAMESPACE}/${name}`) || p.has(`${DEFAULT_NAMESPACE}/*`);
    return p.has(`${namespace}/${name}`) || p.has(`${namespace}/*`);
  }

  /** For log lines and errors: what this identity may publish. */
  describe(): string {
    return [...this.#patterns].join(', ');
  }
}
