/**
 * A node:tls listener on loopback that records each handshake (did the client present a
 * certificate, and did it verify against the CA) and then closes the connection. It speaks no
 * broker protocol: it shows what a client library sent in its TLS handshake, nothing more.
 */
import { readFileSync } from 'node:fs';
import { createServer, type TLSSocket } from 'node:tls';

export interface Handshake {
  /** The client's certificate verified against the listener's CA. */
  authorized: boolean;
  /** Its subject alternative names, when it presented one ("URI:spiffe://..."). */
  peerSan: string | undefined;
}

export interface TlsListener {
  port: number;
  handshakes: Handshake[];
  /** Handshakes refused before they completed (e.g. a client without a certificate, when one is required). */
  refusals: string[];
  close(): Promise<void>;
}

export async function tlsListener(options: { ca: string; cert: string; key: string; requireClientCert: boolean }): Promise<TlsListener> {
  const handshakes: Handshake[] = [];
  const refusals: string[] = [];
  const sockets = new Set<TLSSocket>();
  const server = createServer(
    {
      ca: readFileSync(options.ca),
      cert: readFileSync(options.cert),
      key: readFileSync(options.key),
      requestCert: true,
      rejectUnauthorized: options.requireClientCert,
    },
    (socket) => {
      const peer = socket.getPeerCertificate();
      handshakes.push({ authorized: socket.authorized, peerSan: peer && Object.keys(peer).length > 0 ? peer.subjectaltname : undefined });
      socket.destroy();
    },
  );
  server.on('tlsClientError', (err) => refusals.push(err.message));
  server.on('secureConnection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    handshakes,
    refusals,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
