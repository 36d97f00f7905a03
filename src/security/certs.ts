/**
 * A mesh's certificates: a CA, and node certificates it issues whose identity is a URI SAN
 * `spiffe://<trust domain>/<name>` (as SPIFFE, Linkerd and Istio name workloads). X.509 is built
 * by @peculiar/x509 over WebCrypto; keys are ECDSA P-256 in PKCS#8 PEM, so openssl, NATS, nginx
 * and node:tls read them as they are.
 */
// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata polyfill.
// Only certificate tooling loads this module (`meshrpc certs`, tests), never a running node.
import 'reflect-metadata';
import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { Failures } from '../core/failures.js';
import { formatIdentity, parseTrustDomain, spiffeUrisOf } from './identity.js';
import { serviceUri } from './publish-rights.js';

const subtle = webcrypto.subtle;
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
// Clocks of the machines in a mesh differ a little: a fresh certificate is valid from a minute ago.
const CLOCK_SKEW = 60_000;

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** A certificate and its private key, both PEM. */
export interface CertificatePair {
  cert: string;
  key: string;
}

export interface CreateCaOptions {
  /** The trust domain of every identity this CA issues, e.g. "prod.example.com". */
  trustDomain: string;
  /** Validity in days. Default 3650. */
  days?: number;
  /** The CA's key pair (default: a new one). A cluster secret derives it (security/secret.ts). */
  keys?: CryptoKeyPair;
  /** Its subject's common name. Default `meshrpc CA <trust domain>`. */
  commonName?: string;
}

export interface IssueOptions {
  /** The node's name: its identity becomes spiffe://<trust domain>/<name>. */
  name: string;
  /** The CA that signs it (its certificate and key). */
  ca: CertificatePair;
  /** Validity in days. Default 365. */
  days?: number;
  /** Extra DNS names (the certificate can also serve HTTPS or gRPC under these names). */
  dns?: readonly string[];
  /** Extra IP addresses. */
  ips?: readonly string[];
  /**
   * Services it may publish besides the one named like it: `invoices`, `billing/invoices`,
   * `billing/*`, `*` (URI SANs `urn:meshrpc:service:<pattern>`, see publish-rights.ts).
   */
  services?: readonly string[];
  /** Start of validity. Default now, less a minute of clock skew. */
  notBefore?: Date;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(ECDSA, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.endsWith('\n') ? b64 : `${b64}\n`}-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  if (!body) throw Failures.caKeyNotPkcs8();
  return subtle.importKey('pkcs8', Buffer.from(body, 'base64'), ECDSA, false, ['sign']);
}

/** The CA's trust domain, read back from its own URI SAN. */
export function caTrustDomain(caCert: string): string {
  // A CA names its trust domain alone: spiffe://<trust domain>, with no path.
  const uri = spiffeUrisOf(new NodeX509(caCert)).map((u) => /^spiffe:\/\/([^/]+)$/.exec(u)?.[1]).find(Boolean);
  if (!uri) throw Failures.caNamesNoTrustDomain();
  return uri;
}

/** A new CA for one trust domain. */
export async function createCa(options: CreateCaOptions): Promise<CertificatePair> {
  const trustDomain = parseTrustDomain(options.trustDomain);
  const keys = options.keys ?? (await newKeys());
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${options.commonName ?? `meshrpc CA ${trustDomain}`}`,
    keys,
    signingAlgorithm: ECDSA,
    notBefore: new Date(now - CLOCK_SKEW),
    notAfter: new Date(now + (options.days ?? 3650) * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${trustDomain}` }]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

/** A node certificate for `name`, signed by `ca`, usable by both ends of a link (server and client auth). */
export async function issueCertificate(options: IssueOptions): Promise<CertificatePair> {
  const trustDomain = caTrustDomain(options.ca.cert);
  const identity = formatIdentity(trustDomain, options.name);
  const caCert = new x509.X509Certificate(options.ca.cert);
  const signingKey = await importKey(options.ca.key);
  const keys = await newKeys();
  const notBefore = options.notBefore ?? new Date(Date.now() - CLOCK_SKEW);
  const names: x509.JsonGeneralName[] = [
    { type: 'url', value: identity },
    ...(options.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(options.services ?? []).map((pattern) => ({ type: 'url' as const, value: serviceUri(pattern) })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${options.name}`,
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: ECDSA,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.days ?? 365) * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}
