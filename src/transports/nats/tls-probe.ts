/**
 * Why did a TLS connect to NATS time out? When a server with `verify: true` refuses our client
 * certificate (or our lack of one), TLS 1.3 lets the client finish its handshake first; nats.js
 * then loses the server's alert and waits out its connect timeout, saying only "timeout". So
 * after a timeout we ask once more ourselves, bounded: read the server's INFO, start TLS with the
 * same material, send CONNECT and PING, and report the alert if one comes.
 */
import { isIP, connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tlsFailureOf, type TlsFailure, type TlsPem } from '../engine-credentials.js';

/** "nats://host:port", "host:port" or "host" -> host and port. */
export function hostPortOf(server: string): { host: string; port: number } {
  const u = new URL(server.includes('://') ? server : `nats://${server}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) || 4222 };
}

export function probeNatsTls(server: string, pem: TlsPem | undefined, timeoutMs = 3000): Promise<TlsFailure | undefined> {
  const { host, port } = hostPortOf(server);
  return new Promise((resolve) => {
    const sockets: Socket[] = [];
    let settled = false;
    const done = (result: TlsFailure | undefined) => {
      if (settled) return;
      // Settle before destroying: a socket may emit 'close' (and call done again) as it goes.
      settled = true;
      clearTimeout(timer);
      resolve(result);
      for (const s of sockets) s.destroy();
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const tcp = tcpConnect(port, host);
    sockets.push(tcp);
    tcp.on('error', () => done(undefined));
    let info = '';
    const onInfo = (chunk: Buffer) => {
      info += chunk.toString('latin1');
      if (!info.includes('\r\n')) return;
      tcp.off('data', onInfo);
      const wantsTls = /"tls_(required|available)"\s*:\s*true/.test(info);
      if (!wantsTls) return done(undefined);
      const tls = tlsConnect({ socket: tcp, ...pem, servername: isIP(host) ? undefined : host, rejectUnauthorized: true });
      sockets.push(tls);
      tls.on('secureConnect', () => tls.write('CONNECT {"verbose":false,"pedantic":false,"tls_required":true}\r\nPING\r\n'));
      // Anything the server says over TLS means it took the handshake.
      tls.on('data', () => done(undefined));
      tls.on('error', (err) => done(tlsFailureOf(err) ?? { refusedByPeer: false, reason: err.message }));
      tls.on('close', () => done({ refusedByPeer: true, reason: 'the server closed the TLS connection without a word' }));
    };
    tcp.on('data', onInfo);
  });
}
