/**
 * The shared-secret mode (MESHRPC_CLUSTER_SECRET), for teams without a PKI: every node derives
 * the same CA key from the secret, makes its own copy of that CA's certificate, and issues itself
 * a certificate in memory. Links are then the same mutual TLS 1.3 as with files: a peer without
 * the secret cannot present a certificate the CA signed, so it never completes a handshake, and
 * everything on the link is encrypted.
 *
 * Why certificates derived from the secret rather than TLS-PSK: node:tls offers PSK only up to
 * TLS 1.2 (its `pskCallback` does not apply to TLS 1.3 sessions), and one code path for both modes
 * means the file mode's checks (handshake deadline, refusal logging, identity in every call) hold
 * here too. The key is derived with scrypt, slow on purpose: a peer's certificate names its CA's
 * key (authority key identifier), so a weak secret could be guessed offline; scrypt makes each
 * guess cost ~100 ms, and secrets shorter than 32 characters are refused.
 *
 * What it does not give: identities. Whoever holds the secret can issue itself any name, so in
 * this mode identities are names nodes claim, a node may publish any service (its certificate
 * names `*`), and an authorization policy is refused (see docs/SECURITY.md).
 */
import { createECDH, hkdfSync, scryptSync, webcrypto } from 'node:crypto';
import { Failures } from '../core/failures.js';
import { checkMaterial, type LoadedMaterial } from './material.js';

export const SECRET_TRUST_DOMAIN = 'cluster.meshrpc';
export const MIN_SECRET_LENGTH = 32;

const SALT = 'meshrpc cluster secret v1';
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;
// The order of P-256: a derived scalar must be in [1, n-1].
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

const b64url = (b: Buffer) => b.toString('base64url');

/** The CA key pair every holder of `secret` derives alike. */
async function caKeysFrom(secret: string): Promise<{ keys: CryptoKeyPair; tag: string }> {
  const seed = scryptSync(secret, SALT, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  for (let counter = 0; ; counter++) {
    const d = Buffer.from(hkdfSync('sha256', seed, SALT, `ca key ${counter}`, 32));
    const n = BigInt(`0x${d.toString('hex')}`);
    if (n === 0n || n >= P256_ORDER) continue; // about 2^-32 of seeds: take the next counter
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const pub = ecdh.getPublicKey();
    const jwk = { kty: 'EC', crv: 'P-256', x: b64url(pub.subarray(1, 33)), y: b64url(pub.subarray(33, 65)) };
    const subtle = webcrypto.subtle;
    const privateKey = await subtle.importKey('jwk', { ...jwk, d: b64url(d) }, ECDSA, true, ['sign']);
    const publicKey = await subtle.importKey('jwk', jwk, ECDSA, true, ['verify']);
    // Names this CA apart from another secret's (an issuer is looked up by name before its key is checked).
    const tag = Buffer.from(hkdfSync('sha256', seed, SALT, 'ca name', 8)).toString('hex');
    return { keys: { privateKey, publicKey } as CryptoKeyPair, tag };
  }
}

/** This node's TLS material under the CA `secret` derives; its identity is spiffe://cluster.meshrpc/<name>. */
export async function materialFromSecret(secret: string, name: string): Promise<LoadedMaterial> {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw Failures.secretTooShort({ length: secret.length, min: MIN_SECRET_LENGTH });
  }
  const { createCa, issueCertificate } = await import('./certs.js');
  const { keys, tag } = await caKeysFrom(secret);
  const ca = await createCa({ trustDomain: SECRET_TRUST_DOMAIN, keys, commonName: `meshrpc cluster CA ${tag}` });
  let node;
  try {
    node = await issueCertificate({ ca, name, services: ['*'], days: 3650 });
  } catch (err) {
    throw Failures.secretNodeName({ why: (err as Error).message });
  }
  const where = { ca: 'the CA derived from MESHRPC_CLUSTER_SECRET', cert: 'the certificate made for this node', key: 'its key' };
  return checkMaterial({ ca: ca.cert, cert: node.cert, key: node.key }, where);
}
