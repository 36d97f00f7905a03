/**
 * A node's TLS material: the CA bundle it trusts (one file, several CAs during a rotation), its
 * own certificate and key. Loading checks what a handshake would only reveal later: the
 * certificate chains to a trusted CA, is within its dates, and names one spiffe identity in
 * the CA's trust domain. Files are watched and reloaded; a bad new set is refused and the old
 * one kept, so a half-written rotation never takes a node off the mesh.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { MeshError } from '../core/errors.js';
import { Failures } from '../core/failures.js';
import { identityOfCertificate, type Identity } from './identity.js';
import { PublishRights } from './publish-rights.js';

export interface TlsFiles {
  /** PEM file of the trusted CA certificates (MESHRPC_TLS_CA). */
  ca: string;
  /** PEM file of this node's certificate, optionally followed by intermediates (MESHRPC_TLS_CERT). */
  cert: string;
  /** PEM file of this node's private key (MESHRPC_TLS_KEY). */
  key: string;
}

/** One loaded, checked set of material. */
export interface LoadedMaterial {
  identity: Identity;
  /** The services this node's certificate lets it publish. */
  rights: PublishRights;
  context: SecureContext;
  notBefore: Date;
  notAfter: Date;
  /** The raw PEM, for servers that take options rather than a context. */
  pem: { ca: string; cert: string; key: string };
}

/** Warn when less than this share of a certificate's lifetime is left (as cert-manager renews at 2/3). */
const EXPIRY_WARNING_SHARE = 1 / 3;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function certificatesIn(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw Failures.noPemCertificate({ what });
  return blocks.map((b) => new X509Certificate(b));
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw Failures.unreadableTlsFile({ what, file, why: (err as Error).message });
  }
}

/** Read and check the three files; throws FAILED_PRECONDITION saying what is wrong and with which file. */
export function loadMaterial(files: TlsFiles, now = new Date()): LoadedMaterial {
  const pem = { ca: readPem(files.ca, 'CA file'), cert: readPem(files.cert, 'certificate'), key: readPem(files.key, 'key') };
  return checkMaterial(pem, files, now);
}

/** Check PEM material (from files, or made in memory: `files` then names where it came from, for errors). */
export function checkMaterial(pem: { ca: string; cert: string; key: string }, files: TlsFiles, now = new Date()): LoadedMaterial {
  const cas = certificatesIn(pem.ca, `the CA file ${files.ca}`);
  const [leaf] = certificatesIn(pem.cert, `the certificate ${files.cert}`);
  const issuer = cas.find((ca) => leaf!.checkIssued(ca) && leaf!.verify(ca.publicKey));
  if (!issuer) throw Failures.notSignedByCa({ cert: files.cert, ca: files.ca });
  const { notBefore, notAfter } = checkDates(leaf!, files.cert, now);
  const identity = identityOfCertificate(leaf!);
  if (!identity) throw Failures.noIdentity({ cert: files.cert });
  let context: SecureContext;
  try {
    context = createSecureContext({ ...pem, minVersion: 'TLSv1.3' });
  } catch (err) {
    throw Failures.keyDoesNotFit({ key: files.key, cert: files.cert, why: (err as Error).message });
  }
  return { identity, rights: PublishRights.of(identity, leaf!), context, notBefore, notAfter, pem };
}

function checkDates(cert: X509Certificate, file: string, now: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now < notBefore) throw Failures.notValidYet({ file, from: notBefore });
  if (now > notAfter) throw Failures.certificateExpired({ file, at: notAfter });
  return { notBefore, notAfter };
}

/** Whether a certificate valid from `from` to `to` is in the last part of its lifetime at `now`. */
export function expiresSoon(from: Date, to: Date, now = new Date()): boolean {
  const life = to.getTime() - from.getTime();
  return to.getTime() - now.getTime() < life * EXPIRY_WARNING_SHARE;
}

export interface WatchOptions {
  /** How often the files' modification times are polled. Default 2 s. */
  interval?: number;
  onReload(material: LoadedMaterial): void;
  onError(err: MeshError): void;
}

/**
 * Poll the files (polling, not inotify: Kubernetes swaps secret volumes by symlink, which
 * inotify on the old inode misses) and reload on change. Returns a stop function.
 */
export function watchMaterial(files: TlsFiles, options: WatchOptions): () => void {
  const interval = options.interval ?? 2000;
  const paths = [...new Set([files.ca, files.cert, files.key])];
  let pending: NodeJS.Timeout | undefined;
  const changed = () => {
    // A rotation writes several files: reload once, shortly after the last write.
    clearTimeout(pending);
    pending = setTimeout(() => {
      try {
        options.onReload(loadMaterial(files));
      } catch (err) {
        options.onError(err as MeshError);
      }
    }, 200);
    pending.unref();
  };
  for (const p of paths) watchFile(p, { interval, persistent: false }, changed);
  return () => {
    clearTimeout(pending);
    for (const p of paths) unwatchFile(p, changed);
  };
}
