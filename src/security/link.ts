/**
 * How a mesh link is made: mutual TLS 1.3 (the default wherever a node is reachable beyond
 * loopback) or plaintext (loopback, or an explicit opt-out). The mesh asks this module for a
 * listening server and for outbound sockets and gets back sockets whose peer identity is known;
 * it never touches node:tls itself.
 */
import { createServer as createPlainServer, connect as plainConnect, isIP, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { identityOfCertificate, type Identity } from './identity.js';
import { PublishRights } from './publish-rights.js';
import { materialFromSecret } from './secret.js';
import { expiresSoon, loadMaterial, watchMaterial, type LoadedMaterial, type TlsFiles } from './material.js';
import { Failures } from '../core/failures.js';

export interface LinkSecurityOptions {
  /** PEM files of the CA bundle, this node's certificate and key. Default: MESHRPC_TLS_CA / _CERT / _KEY. */
  tls?: Partial<TlsFiles>;
  /**
   * A secret every node of the cluster shares, instead of certificate files: links are mutual TLS
   * under a CA derived from it (security/secret.ts). Default: MESHRPC_CLUSTER_SECRET.
   */
  clusterSecret?: string;
  /** This node's name, the identity its secret-derived certificate names. */
  name?: string;
  /** Plaintext links even beyond loopback. Default: MESHRPC_INSECURE=1. */
  insecure?: boolean;
  /** A TLS handshake must finish within this. Default 5 s. */
  handshakeTimeout?: number;
  /** How often certificate files are checked for changes. Default 2 s. */
  reloadInterval?: number;
  log?(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

/**
 * A peer on an authenticated link, with the certificate it presented. Read it from here: Node's
 * TLSSocket answers getPeerX509Certificate() on a client socket only once (a second call gives
 * undefined, on Node 20 and 24 alike).
 */
export type PeerIdentity = (Identity & { certificate: X509Certificate; rights: PublishRights }) | undefined;

export interface LinkSecurity {
  readonly mode: 'tls' | 'plaintext';
  /** This node's own identity (TLS only). */
  readonly identity: Identity | undefined;
  /** What this node's certificate lets it publish (TLS only; plaintext links prove nothing). */
  readonly rights: PublishRights | undefined;
  /** When this node's certificate expires, and whether that is soon (for health and logs). */
  certificateStatus(): { notAfter: Date; expiresSoon: boolean } | undefined;
  /** Refuse to listen where plaintext would be reachable beyond loopback. */
  assertCanListen(host: string): void;
  /** Refuse to send plaintext to a peer beyond loopback. */
  assertCanDial(host: string): void;
  /** A server whose `onLink` sees only peers that proved an identity (TLS) or any peer (plaintext). */
  createServer(onLink: (socket: Socket, peer: PeerIdentity) => void): Server;
  /** Dial; `onLink` runs once the link is usable (TCP connected, or TLS verified both ways). */
  connect(host: string, port: number, onLink: (socket: Socket, peer: PeerIdentity) => void): Socket;
  close(): void;
}

/** 127.0.0.0/8, ::1 and localhost: the addresses only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h.startsWith('::ffff:127.');
}

function tlsFiles(o: LinkSecurityOptions, env: NodeJS.ProcessEnv): TlsFiles | undefined {
  const files = { ca: o.tls?.ca ?? env.MESHRPC_TLS_CA, cert: o.tls?.cert ?? env.MESHRPC_TLS_CERT, key: o.tls?.key ?? env.MESHRPC_TLS_KEY };
  const given = Object.entries(files).filter(([, v]) => v);
  if (given.length === 0) return undefined;
  if (given.length < 3) {
    const missing = Object.entries(files).filter(([, v]) => !v).map(([k]) => `MESHRPC_TLS_${k.toUpperCase()}`);
    throw Failures.tlsFilesMissing({ missing });
  }
  return files as TlsFiles;
}

/** The link security a node's options and environment ask for: certificate files, a cluster secret, or plaintext. */
export async function resolveLinkSecurity(o: LinkSecurityOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<LinkSecurity> {
  const files = tlsFiles(o, env);
  const secret = o.clusterSecret ?? (env.MESHRPC_CLUSTER_SECRET || undefined);
  if (files && secret) {
    throw Failures.tlsAndSecret();
  }
  if (secret) return new TlsLinks({ material: await materialFromSecret(secret, o.name ?? 'node') }, o);
  const insecure = o.insecure ?? env.MESHRPC_INSECURE === '1';
  return files ? new TlsLinks({ files }, o) : new PlaintextLinks(insecure);
}

class PlaintextLinks implements LinkSecurity {
  readonly mode = 'plaintext';
  readonly identity = undefined;
  readonly rights = undefined;
  constructor(private readonly insecure: boolean) {}
  certificateStatus() {
    return undefined;
  }
  assertCanListen(host: string): void {
    if (this.insecure || isLoopbackHost(host)) return;
    throw Failures.plaintextListen({ host });
  }
  assertCanDial(host: string): void {
    if (this.insecure || isLoopbackHost(host)) return;
    throw Failures.plaintextDial({ host });
  }
  createServer(onLink: (socket: Socket, peer: PeerIdentity) => void): Server {
    return createPlainServer((socket) => onLink(socket, undefined));
  }
  connect(host: string, port: number, onLink: (socket: Socket, peer: PeerIdentity) => void): Socket {
    const socket = plainConnect({ host, port });
    socket.once('connect', () => onLink(socket, undefined));
    return socket;
  }
  close(): void {}
}

/** Where a TLS node's material comes from: files (watched and reloaded), or made in memory once. */
type MaterialSource = { files: TlsFiles } | { material: LoadedMaterial };

class TlsLinks implements LinkSecurity {
  readonly mode = 'tls';
  #material: LoadedMaterial;
  readonly #servers = new Set<ReturnType<typeof createTlsServer>>();
  readonly #stopWatching: () => void;

  constructor(
    source: MaterialSource,
    private readonly o: LinkSecurityOptions,
  ) {
    if ('material' in source) {
      this.#material = source.material;
      this.#stopWatching = () => {};
      return;
    }
    const { files } = source;
    this.#material = loadMaterial(files);
    this.#warnIfExpiring();
    this.#stopWatching = watchMaterial(files, {
      interval: o.reloadInterval,
      onReload: (m) => this.#reload(m),
      onError: (err) => o.log?.('error', 'new TLS files refused; links keep the current certificate', { error: err.message }),
    });
  }

  get identity(): Identity {
    return this.#material.identity;
  }

  get rights(): PublishRights {
    return this.#material.rights;
  }

  certificateStatus() {
    const { notBefore, notAfter } = this.#material;
    return { notAfter, expiresSoon: expiresSoon(notBefore, notAfter) };
  }

  assertCanListen(): void {}
  assertCanDial(): void {}

  createServer(onLink: (socket: Socket, peer: PeerIdentity) => void): Server {
    // A server builds its context from PEM options (it ignores a ready-made `secureContext`).
    const server = createTlsServer({
      ...this.#material.pem,
      requestCert: true,
      // Verified below, so that a refusal is logged with its reason (expired, unknown CA...)
      // before the socket is destroyed. No byte of ours reaches an unverified peer.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
      handshakeTimeout: this.o.handshakeTimeout ?? 5000,
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      const peer = this.#verify(socket);
      if (peer) onLink(socket, peer);
    });
    server.on('tlsClientError', (err, socket) => {
      this.o.log?.('warn', 'mesh TLS handshake failed', { error: err.message, remote: socket.remoteAddress });
    });
    this.#servers.add(server);
    server.once('close', () => this.#servers.delete(server));
    return server;
  }

  connect(host: string, port: number, onLink: (socket: Socket, peer: PeerIdentity) => void): Socket {
    const socket = tlsConnect({
      host,
      port,
      secureContext: this.#material.context,
      minVersion: 'TLSv1.3',
      // The peer is named by its spiffe identity, not by the address dialled.
      checkServerIdentity: () => undefined,
      rejectUnauthorized: false,
    });
    socket.once('secureConnect', () => {
      const peer = this.#verify(socket);
      if (peer) onLink(socket, peer);
    });
    return socket;
  }

  close(): void {
    this.#stopWatching();
  }

  /** The peer's identity if its certificate is valid, from a trusted CA and in our trust domain; else log, destroy, undefined. */
  #verify(socket: TLSSocket): PeerIdentity {
    const refuse = (reason: string) => {
      this.o.log?.('warn', 'mesh peer refused', { reason, remote: `${socket.remoteAddress}:${socket.remotePort}` });
      socket.destroy();
      return undefined;
    };
    const cert = socket.getPeerX509Certificate();
    if (!cert) return refuse('no certificate');
    if (!socket.authorized) return refuse(String(socket.authorizationError));
    const identity = identityOfCertificate(cert);
    if (!identity) return refuse('the certificate names no spiffe identity');
    if (identity.trustDomain !== this.#material.identity.trustDomain) return refuse(`identity ${identity.uri} is outside trust domain ${this.#material.identity.trustDomain}`);
    return { ...identity, certificate: cert, rights: PublishRights.of(identity, cert) };
  }

  #reload(material: LoadedMaterial): void {
    if (material.identity.uri !== this.#material.identity.uri) {
      this.o.log?.('error', 'new TLS certificate names another identity; keeping the current one', { current: this.#material.identity.uri, offered: material.identity.uri });
      return;
    }
    this.#material = material;
    // New handshakes use the new material; links already up keep theirs.
    for (const server of this.#servers) server.setSecureContext({ ...material.pem, minVersion: 'TLSv1.3' });
    this.o.log?.('info', 'TLS certificate reloaded', { identity: material.identity.uri, notAfter: material.notAfter.toISOString() });
    this.#warnIfExpiring();
  }

  #warnIfExpiring(): void {
    const status = this.certificateStatus();
    if (status.expiresSoon) this.o.log?.('warn', 'this node\'s TLS certificate expires soon: issue a new one', { notAfter: status.notAfter.toISOString() });
  }
}
