/**
 * Workload identities: `spiffe://<trust domain>/<name>`, carried as the URI SAN of a node's
 * certificate. Parsing is strict, since an identity decides what a node may publish and call.
 */
import type { X509Certificate } from 'node:crypto';
import type { CallerIdentity } from '../core/context.js';
import { Failures } from '../core/failures.js';

/** A node's identity as read from its certificate (what a served call sees as `ctx.caller.identity`). */
export type Identity = CallerIdentity;

// SPIFFE: a trust domain is lowercase letters, digits, dots, dashes and underscores.
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
// A node name is one path segment of the same safe set (the service names a node may publish).
const NAME = /^[A-Za-z0-9._-]{1,128}$/;

/** One name token as identities, service patterns and policies use it: letters, digits, ".", "-", "_". */
export function isNameToken(value: string): boolean {
  return NAME.test(value);
}

export function parseTrustDomain(value: string): string {
  if (!TRUST_DOMAIN.test(value)) {
    throw Failures.invalidTrustDomain({ value });
  }
  return value;
}

export function formatIdentity(trustDomain: string, name: string): string {
  parseTrustDomain(trustDomain);
  if (!NAME.test(name) || name === '.' || name === '..') {
    throw Failures.invalidNodeName({ name });
  }
  return `spiffe://${trustDomain}/${name}`;
}

/** Parse `spiffe://<trust domain>/<name>`; undefined for anything else. */
export function parseIdentity(uri: string): Identity | undefined {
  const m = /^spiffe:\/\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!m || !TRUST_DOMAIN.test(m[1]!) || !NAME.test(m[2]!)) return undefined;
  return { trustDomain: m[1]!, name: m[2]!, uri };
}

/**
 * The one spiffe identity of a certificate. Node renders subjectAltName as "URI:a, DNS:b";
 * a certificate with no spiffe URI, or with two, has no identity we accept.
 */
export function identityOfCertificate(cert: Pick<X509Certificate, 'subjectAltName'>): Identity | undefined {
  const uris = spiffeUrisOf(cert);
  if (uris.length !== 1) return undefined;
  return parseIdentity(uris[0]!);
}

/** The spiffe:// URIs among a certificate's subject alternative names. */
export function spiffeUrisOf(cert: Pick<X509Certificate, 'subjectAltName'>): string[] {
  return (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('URI:spiffe://'))
    .map((entry) => entry.slice('URI:'.length));
}
