/**
 * `meshrpc certs`: the files it writes are standard PEM that openssl accepts, carry the node's
 * spiffe identity, and make a mutual TLS 1.3 link between two node:tls ends, while a certificate
 * from another CA, or an expired one, is refused in the handshake.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueCertificate, type CertificatePair } from '../../src/security/certs.js';
import { identityOfCertificate, parseIdentity } from '../../src/security/identity.js';
import { repoRoot } from '../helpers/procs.js';

const run = promisify(execFile);
let dir = '';

function cli(...args: string[]) {
  return run(process.execPath, [path.join(repoRoot, 'bin/meshrpc.js'), 'certs', ...args], { cwd: dir, timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

async function pair(name: string): Promise<CertificatePair> {
  const [cert, key] = await Promise.all([readFile(path.join(dir, `certs/${name}.pem`), 'utf8'), readFile(path.join(dir, `certs/${name}.key`), 'utf8')]);
  return { cert, key };
}

/** One mutual-TLS handshake on loopback: what each end saw. */
async function handshake(ca: string, server: CertificatePair, client: CertificatePair) {
  const srv = createServer({ ...server, ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' });
  const serverSaw = new Promise<TLSSocket | Error>((resolve) => {
    srv.once('secureConnection', resolve);
    srv.once('tlsClientError', resolve);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  const clientSaw = await new Promise<TLSSocket | Error>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ...client, ca, minVersion: 'TLSv1.3', checkServerIdentity: () => undefined });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', resolve);
  });
  const seen = await serverSaw;
  const result = {
    server: seen instanceof Error ? seen : identityOfCertificate((seen.getPeerX509Certificate())!),
    client: clientSaw instanceof Error ? clientSaw : identityOfCertificate((clientSaw.getPeerX509Certificate())!),
    protocol: clientSaw instanceof Error ? undefined : clientSaw.getProtocol(),
  };
  if (!(clientSaw instanceof Error)) clientSaw.destroy();
  if (!(seen instanceof Error)) seen.destroy();
  await new Promise((resolve) => srv.close(resolve));
  return result;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshrpc-certs-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('meshrpc certs', () => {
  it('creates a CA and issues node certificates that openssl verifies, with the spiffe identity as URI SAN', async () => {
    expect((await cli('init', '--trust-domain', 'test.example')).code).toBe(0);
    const issued = await cli('issue', 'greeter', '--dns', 'localhost,greeter', '--ip', '127.0.0.1');
    expect(issued.code).toBe(0);
    expect(issued.stdout).toContain('spiffe://test.example/greeter');
    expect((await cli('issue', 'gateway')).code).toBe(0);

    const verify = await run('openssl', ['verify', '-CAfile', 'certs/ca.pem', 'certs/greeter.pem', 'certs/gateway.pem'], { cwd: dir });
    expect(verify.stdout).toBe('certs/greeter.pem: OK\ncerts/gateway.pem: OK\n');
    const text = await run('openssl', ['x509', '-in', 'certs/greeter.pem', '-noout', '-ext', 'subjectAltName,extendedKeyUsage'], { cwd: dir });
    expect(text.stdout).toContain('URI:spiffe://test.example/greeter, DNS:localhost, DNS:greeter, IP Address:127.0.0.1');
    expect(text.stdout).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    await run('openssl', ['pkey', '-in', 'certs/greeter.key', '-noout', '-check'], { cwd: dir });
    expect((await stat(path.join(dir, 'certs/greeter.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'certs/ca.key'))).mode & 0o777).toBe(0o600);
  });

  it('never replaces an existing CA without --force, and names bad input in one line (exit 2)', async () => {
    const again = await cli('init');
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toContain('--force');
    const bad = await cli('issue', '../escape');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a node name');
    const days = await cli('issue', 'x', '--days', 'soon');
    expect(days.code).toBe(2);
  });

  it('makes a mutual TLS 1.3 link in which each end reads the other one\'s identity', async () => {
    const ca = (await pair('ca')).cert;
    const seen = await handshake(ca, await pair('greeter'), await pair('gateway'));
    expect(seen.protocol).toBe('TLSv1.3');
    expect(seen.server).toMatchObject({ trustDomain: 'test.example', name: 'gateway' });
    expect(seen.client).toMatchObject({ trustDomain: 'test.example', name: 'greeter' });
  });

  it('is refused in the handshake with a certificate from another CA, or an expired one', async () => {
    const ca = (await pair('ca')).cert;
    const other = await createCa({ trustDomain: 'test.example' });
    const foreign = await issueCertificate({ ca: other, name: 'gateway' });
    const refused = await handshake(ca, await pair('greeter'), foreign);
    expect(refused.server).toBeInstanceOf(Error);

    const caPair = await pair('ca');
    const expired = await issueCertificate({ ca: caPair, name: 'gateway', notBefore: new Date(Date.now() - 3 * 86_400_000), days: 1 });
    const late = await handshake(ca, await pair('greeter'), expired);
    expect(late.server).toBeInstanceOf(Error);
    // The same chain without the expiry is accepted: what was refused is the date.
    const fresh = await issueCertificate({ ca: caPair, name: 'gateway' });
    expect((await handshake(ca, await pair('greeter'), fresh)).server).toMatchObject({ name: 'gateway' });
  });
});

describe('identities', () => {
  it('accepts spiffe://<trust domain>/<name> only', () => {
    expect(parseIdentity('spiffe://prod.example/greeter')).toEqual({ trustDomain: 'prod.example', name: 'greeter', uri: 'spiffe://prod.example/greeter' });
    for (const bad of ['spiffe://Prod/greeter', 'spiffe://prod/a/b', 'https://prod/greeter', 'spiffe://prod/', 'spiffe:///greeter']) {
      expect(parseIdentity(bad), bad).toBeUndefined();
    }
    expect(identityOfCertificate({ subjectAltName: 'URI:spiffe://a/x, URI:spiffe://a/y' })).toBeUndefined();
    expect(identityOfCertificate({ subjectAltName: 'DNS:localhost, URI:spiffe://a/x' })?.name).toBe('x');
  });
});
