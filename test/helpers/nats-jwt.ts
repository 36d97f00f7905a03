/**
 * A NATS operator, one account and users with `.creds` files, made in the test (no `nsc` here):
 * JWTs signed with nkeys (the ed25519 keys nats.js itself depends on) in the format nats-server
 * reads in operator mode (`operator:`, `resolver: MEMORY`, `resolver_preload:`).
 */
import { createHash } from 'node:crypto';
import { nkeys } from '@nats-io/transport-node';

type KeyPair = ReturnType<typeof nkeys.createUser>;

const b64url = (data: Uint8Array | string) => Buffer.from(data).toString('base64url');

/** Base32 (RFC 4648, no padding), as the Go jwt library spells a jti. */
function base32(data: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

function sign(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const claims: Record<string, unknown> = { iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub: subject, nats: { ...nats, version: 2 } };
  claims.jti = base32(createHash('sha256').update(JSON.stringify(claims)).digest());
  const head = `${b64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }))}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${b64url(issuer.sign(new TextEncoder().encode(head)))}`;
}

export interface NatsOperator {
  /** nats-server configuration lines for operator mode with this account preloaded. */
  config: string;
  /** A .creds file's text for a new user of the account. */
  userCreds(name: string): string;
}

export function natsOperator(): NatsOperator {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const unlimited = { subs: -1, data: -1, payload: -1 };
  const operatorJwt = sign(operator, operator.getPublicKey(), 'meshrpc-test', { type: 'operator' });
  const accountJwt = sign(operator, account.getPublicKey(), 'tests', {
    type: 'account',
    limits: { ...unlimited, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 },
  });
  return {
    config: `operator: ${operatorJwt}\nresolver: MEMORY\nresolver_preload: { ${account.getPublicKey()}: ${accountJwt} }\n`,
    userCreds(name) {
      const user = nkeys.createUser();
      const jwt = sign(account, user.getPublicKey(), name, { type: 'user', pub: {}, sub: {}, ...unlimited });
      const seed = new TextDecoder().decode(user.getSeed());
      return `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`;
    },
  };
}
