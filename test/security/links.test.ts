/**
 * Link security over real sockets on loopback: mutual TLS between two ends that each learn the
 * other's identity; peers without a certificate, with another CA's, or from another trust domain
 * are refused with a logged reason (also when the peer is `openssl s_client`, a client nobody
 * here wrote); plaintext refuses to listen beyond loopback; certificate files reload without
 * dropping a live link.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueCertificate, type CertificatePair } from '../../src/security/certs.js';
import { isLoopbackHost, resolveLinkSecurity, type LinkSecurity, type PeerIdentity } from '../../src/security/link.js';
import { loadMaterial } from '../../src/security/material.js';
import { opensslClient } from '../helpers/openssl.js';

let dir = '';
let ca: CertificatePair;
const opened: { close(): void }[] = [];

async function files(name: string, pair: CertificatePair, caPem = ca.cert) {
  const base = path.join(dir, name);
  await writeFile(`${base}.pem`, pair.cert);
  await writeFile(`${base}.key`, pair.key);
  await writeFile(`${base}.ca.pem`, caPem);
  return { ca: `${base}.ca.pem`, cert: `${base}.pem`, key: `${base}.key` };
}

async function security(tls: Awaited<ReturnType<typeof files>>, logs: string[] = [], reloadInterval?: number): Promise<LinkSecurity> {
  const s = await resolveLinkSecurity({ tls, reloadInterval, log: (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`) }, {});
  opened.push(s);
  return s;
}

async function listen(sec: LinkSecurity, onLink: (socket: Socket, peer: PeerIdentity) => void): Promise<{ server: Server; port: number }> {
  const server = sec.createServer(onLink);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  opened.push({ close: () => server.close() });
  return { server, port: (server.address() as { port: number }).port };
}

function dial(sec: LinkSecurity, port: number): Promise<{ socket: Socket; peer: PeerIdentity }> {
  return new Promise((resolve, reject) => {
    const socket = sec.connect('127.0.0.1', port, (s, peer) => resolve({ socket: s, peer }));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before the link was up')));
  });
}

/**
 * Dial a server that should refuse us; resolves with whatever bytes arrived before the link
 * closed. In TLS 1.3 the client finishes its handshake before the server has checked the
 * client's certificate, so our side may come up and then be closed without a byte.
 */
function refusedBy(sec: LinkSecurity, port: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const socket = sec.connect('127.0.0.1', port, (s) => s.on('data', (d) => (got += d)));
    socket.on('error', () => {});
    socket.once('close', () => resolve(got));
  });
}

/** Until `predicate` holds, at most `ms`. */
async function until(predicate: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (predicate()) return true;
  return predicate();
}

const sClientText = async (port: number, extra: string[]) => {
  const { stdout, stderr } = await opensslClient(`127.0.0.1:${port}`, ['-CAfile', path.join(dir, 'ca.pem'), ...extra]);
  return stdout + stderr;
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshrpc-links-'));
  ca = await createCa({ trustDomain: 'links.test' });
  await writeFile(path.join(dir, 'ca.pem'), ca.cert);
});
afterAll(async () => {
  for (const o of opened) o.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('mutual TLS links', () => {
  it('connect two nodes that each know the other\'s identity, over TLS 1.3', async () => {
    const server = await security(await files('greeter', await issueCertificate({ ca, name: 'greeter' })));
    const client = await security(await files('gateway', await issueCertificate({ ca, name: 'gateway' })));
    let serverSaw: PeerIdentity;
    const { port } = await listen(server, (socket, peer) => {
      serverSaw = peer;
      socket.end('hello from greeter');
    });
    const { socket, peer } = await dial(client, port);
    expect(peer?.uri).toBe('spiffe://links.test/greeter');
    expect((socket as TLSSocket).getProtocol()).toBe('TLSv1.3');
    const data = await new Promise<string>((resolve) => {
      let got = '';
      socket.on('data', (d) => (got += d));
      socket.once('end', () => resolve(got));
    });
    expect(data).toBe('hello from greeter');
    expect(serverSaw!.uri).toBe('spiffe://links.test/gateway');
    expect(server.identity?.name).toBe('greeter');
  });

  it('refuse a peer without a certificate, with another CA\'s, or from another trust domain, and log why', async () => {
    const logs: string[] = [];
    const server = await security(await files('greeter2', await issueCertificate({ ca, name: 'greeter' })), logs);
    const links: PeerIdentity[] = [];
    const { port } = await listen(server, (socket, peer) => {
      links.push(peer);
      socket.end('secret');
    });
    // No certificate at all: a plain TLS client.
    const bare = tlsConnect({ host: '127.0.0.1', port, ca: ca.cert, checkServerIdentity: () => undefined });
    let bareGot = '';
    bare.on('data', (d) => (bareGot += d));
    bare.on('error', () => {});
    await until(() => bare.destroyed || bare.readableEnded);
    // Another CA.
    const other = await createCa({ trustDomain: 'links.test' });
    const foreign = await security(await files('foreign', await issueCertificate({ ca: other, name: 'gateway' }), `${ca.cert}${other.cert}`));
    expect(await refusedBy(foreign, port)).toBe('');
    // Another trust domain, from a CA the server does not trust either.
    const elsewhere = await createCa({ trustDomain: 'elsewhere.test' });
    const outsider = await security(await files('outsider', await issueCertificate({ ca: elsewhere, name: 'gateway' }), `${ca.cert}${elsewhere.cert}`));
    expect(await refusedBy(outsider, port)).toBe('');

    // The server refuses the first two; the third is refused by the client too, since the
    // server's identity lies outside its trust domain: the server sees it hang up.
    expect(await until(() => logs.filter((l) => l.includes('mesh peer refused')).length >= 2 && logs.some((l) => l.includes('handshake failed')))).toBe(true);
    expect(logs.find((l) => l.includes('refused'))).toContain('"reason":"no certificate"');
    expect(links).toEqual([]);
    expect(bareGot).toBe('');
    expect(logs.join('\n')).toMatch(/reason/);
  });

  it('answer openssl s_client with a node certificate, and refuse it without one', async () => {
    const logs: string[] = [];
    const server = await security(await files('greeter3', await issueCertificate({ ca, name: 'greeter' })), logs);
    const peers: PeerIdentity[] = [];
    const { port } = await listen(server, (socket, peer) => {
      peers.push(peer);
      socket.end('welcome\n');
    });
    const withCert = await files('probe', await issueCertificate({ ca, name: 'probe' }));
    const ok = await sClientText(port, ['-cert', withCert.cert, '-key', withCert.key]);
    expect(ok).toContain('Verify return code: 0 (ok)');
    expect(ok).toContain('welcome');
    expect(peers.map((p) => p?.name)).toEqual(['probe']);

    const refused = await sClientText(port, []);
    expect(refused).not.toContain('welcome');
    expect(await until(() => logs.some((l) => l.includes('mesh peer refused')))).toBe(true);
    expect(peers).toHaveLength(1);
  });

  it('reload rotated certificate files for new links, and keep the links already up', async () => {
    const logs: string[] = [];
    const greeterFiles = await files('rotating', await issueCertificate({ ca, name: 'greeter' }));
    const server = await security(greeterFiles, logs, 100);
    const sockets: Socket[] = [];
    const { port } = await listen(server, (socket) => {
      sockets.push(socket);
      socket.on('data', (d) => socket.write(d));
    });
    const client = await security(await files('caller', await issueCertificate({ ca, name: 'gateway' })));
    const first = await dial(client, port);
    const firstSerial = first.peer!.certificate.serialNumber;

    const renewed = await issueCertificate({ ca, name: 'greeter' });
    await writeFile(greeterFiles.cert, renewed.cert);
    await writeFile(greeterFiles.key, renewed.key);
    expect(await until(() => logs.some((l) => l.includes('TLS certificate reloaded')))).toBe(true);

    const second = await dial(client, port);
    const secondSerial = second.peer!.certificate.serialNumber;
    expect(secondSerial).toBe(new X509Certificate(renewed.cert).serialNumber);
    expect(secondSerial).not.toBe(firstSerial);
    // The first link still carries bytes both ways.
    const echoed = new Promise<string>((resolve) => first.socket.once('data', (d) => resolve(String(d))));
    first.socket.write('still here');
    expect(await echoed).toBe('still here');

    // A broken rotation (a key that does not fit) is refused; the node keeps what it had.
    await writeFile(greeterFiles.key, (await issueCertificate({ ca, name: 'greeter' })).key);
    expect(await until(() => logs.some((l) => l.includes('new TLS files refused')))).toBe(true);
    const third = await dial(client, port);
    expect(third.peer!.certificate.serialNumber).toBe(secondSerial);
    for (const s of [first.socket, second.socket, third.socket]) s.destroy();
  });
});

describe('loading and policy', () => {
  it('refuses expired and not-yet-valid certificates at load, naming the file', async () => {
    const expired = await files('expired', await issueCertificate({ ca, name: 'old', notBefore: new Date(Date.now() - 3 * 86_400_000), days: 1 }));
    expect(() => loadMaterial(expired)).toThrow(/expired\.pem expired at/);
    const future = await files('future', await issueCertificate({ ca, name: 'new', notBefore: new Date(Date.now() + 86_400_000) }));
    expect(() => loadMaterial(future)).toThrow(/future\.pem is not valid yet/);
    const other = await createCa({ trustDomain: 'links.test' });
    const foreign = await files('unsigned', await issueCertificate({ ca: other, name: 'x' }));
    expect(() => loadMaterial(foreign)).toThrow(/is not signed by any CA in/);
  });

  it('warns when its own certificate is in the last third of its life', async () => {
    const logs: string[] = [];
    await security(await files('aging', await issueCertificate({ ca, name: 'aging', notBefore: new Date(Date.now() - 8 * 86_400_000), days: 10 })), logs);
    expect(logs.some((l) => l.startsWith('warn') && l.includes('expires soon'))).toBe(true);
  });

  it('refuses plaintext links beyond loopback unless asked for, with how to set up certificates', async () => {
    const plain = await resolveLinkSecurity({}, {});
    expect(plain.mode).toBe('plaintext');
    expect(() => plain.assertCanListen('127.0.0.1')).not.toThrow();
    expect(() => plain.assertCanListen('localhost')).not.toThrow();
    expect(() => plain.assertCanListen('0.0.0.0')).toThrow(/meshrpc certs init.*MESHRPC_INSECURE=1/);
    expect(() => plain.assertCanListen('10.1.2.3')).toThrow(expect.objectContaining({ code: 'FAILED_PRECONDITION' }));
    const insecure = await resolveLinkSecurity({}, { MESHRPC_INSECURE: '1' });
    expect(() => insecure.assertCanListen('0.0.0.0')).not.toThrow();
    await expect(resolveLinkSecurity({}, { MESHRPC_TLS_CA: '/x' })).rejects.toThrow(/MESHRPC_TLS_CERT and MESHRPC_TLS_KEY not set/);
    expect(['127.0.0.1', '127.9.9.9', '::1', '[::1]', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com'].some(isLoopbackHost)).toBe(false);
  });
});
