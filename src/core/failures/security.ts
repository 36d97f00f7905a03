/** Failures of link security: TLS files and settings, certificates, the CA and identities. */
import { because, named } from './named.js';

const HOW_TO =
  'create certificates with `meshrpc certs init` and `meshrpc certs issue <name>`, then set MESHRPC_TLS_CA, MESHRPC_TLS_CERT and MESHRPC_TLS_KEY (or the `tls` option); or give every node the same MESHRPC_CLUSTER_SECRET (32+ characters); or set MESHRPC_INSECURE=1 to accept plaintext links (docs/SECURITY.md)';

export const SecurityFailures = {
  // ---- settings ----
  tlsFilesMissing: named<{ missing: readonly string[] }>(
    'FAILED_PRECONDITION',
    (p) => `TLS needs a CA, a certificate and a key: ${p.missing.join(' and ')} not set`,
    { details: (p) => ({ missing: p.missing }) },
  ),
  tlsAndSecret: named(
    'FAILED_PRECONDITION',
    () => 'both TLS files and a cluster secret are set: use certificates (MESHRPC_TLS_*) or MESHRPC_CLUSTER_SECRET, not both',
  ),
  plaintextListen: named<{ host: string }>('FAILED_PRECONDITION', (p) => `refusing to accept plaintext mesh links on ${p.host}, which other machines can reach: ${HOW_TO}`),
  plaintextDial: named<{ host: string }>('FAILED_PRECONDITION', (p) => `refusing to send plaintext mesh traffic to ${p.host}, beyond loopback: ${HOW_TO}`),

  // ---- a node's certificate, key and CA files ----
  noPemCertificate: named<{ what: string }>('FAILED_PRECONDITION', (p) => `${p.what} holds no PEM certificate`),
  unreadableTlsFile: named<{ what: string; file: string; why: string }>('FAILED_PRECONDITION', (p) => `cannot read the ${p.what} ${p.file}${because(p.why)}`),
  notSignedByCa: named<{ cert: string; ca: string }>('FAILED_PRECONDITION', (p) => `${p.cert} is not signed by any CA in ${p.ca}`),
  noIdentity: named<{ cert: string }>(
    'FAILED_PRECONDITION',
    (p) => `${p.cert} names no spiffe://<trust domain>/<name> identity (issue it with \`meshrpc certs issue <name>\`)`,
  ),
  keyDoesNotFit: named<{ key: string; cert: string; why: string }>('FAILED_PRECONDITION', (p) => `${p.key} does not fit ${p.cert}${because(p.why)}`),
  notValidYet: named<{ file: string; from: Date }>('FAILED_PRECONDITION', (p) => `${p.file} is not valid yet: valid from ${p.from.toISOString()}`),
  certificateExpired: named<{ file: string; at: Date }>('FAILED_PRECONDITION', (p) => `${p.file} expired at ${p.at.toISOString()}: issue a new one (meshrpc certs issue)`),

  // ---- the CA (meshrpc certs) ----
  caKeyNotPkcs8: named('INVALID_ARGUMENT', () => 'the CA key is not a PKCS#8 PEM private key ("BEGIN PRIVATE KEY")'),
  caNamesNoTrustDomain: named(
    'INVALID_ARGUMENT',
    () => 'the CA certificate names no trust domain (no spiffe:// URI SAN): create it with `meshrpc certs init`',
  ),

  // ---- a shared cluster secret ----
  secretTooShort: named<{ length: number; min: number }>(
    'FAILED_PRECONDITION',
    (p) => `MESHRPC_CLUSTER_SECRET is ${p.length} characters; it needs at least ${p.min} (e.g. \`openssl rand -base64 32\`), since a short one can be guessed offline`,
  ),
  secretNodeName: named<{ why: string }>('FAILED_PRECONDITION', (p) => `with MESHRPC_CLUSTER_SECRET a node's name becomes its identity${because(p.why)}`),

  // ---- identities ----
  invalidTrustDomain: named<{ value: string }>(
    'INVALID_ARGUMENT',
    (p) => `"${p.value}" is not a trust domain: use lowercase letters, digits, ".", "-" and "_" (e.g. prod.example.com)`,
  ),
  invalidNodeName: named<{ name: string }>('INVALID_ARGUMENT', (p) => `"${p.name}" is not a node name: use letters, digits, ".", "-" and "_"`),
} as const;
