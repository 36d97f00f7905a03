/**
 * Raw peers for fault tests: a plain TCP socket that speaks (or abuses) the mesh wire by hand,
 * and the resident memory of a node's process as Linux reports it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameType } from '../../src/mesh/wire/frame.js';
import { encodeJson, encodeRequest, PROTOCOL_VERSION, type Hello } from '../../src/mesh/wire/messages.js';

export function rawSocket(addr: string): Promise<Socket> {
  const i = addr.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const s = connect({ host: addr.slice(0, i), port: Number(addr.slice(i + 1)) }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** A HELLO frame of a peer that accepts 4 MiB frames and claims to serve `services` (default none). */
export function helloFrame(name = 'raw', services: string[] = []): Buffer {
  const hello: Hello = { id: randomUUID(), name, addr: null, tags: [], services: services.map((s) => ({ namespace: 'default', name: s })), version: 1, protocol: PROTOCOL_VERSION, maxFrame: 4 * 1024 * 1024, port: null };
  return encodeFrame(FrameType.HELLO, 0, 0, encodeJson(hello));
}

/** A json REQUEST frame for `service.method(args)`. */
export function requestFrame(streamId: number, service: string, method: string, args: object, timeout = 30_000): Buffer {
  return encodeRequest(streamId, { namespace: 'default', service, method, timeout, metadata: undefined }, 0, Buffer.from(JSON.stringify(args)));
}

/** Resident set size of a process in MiB (VmRSS), or of its peak so far (VmHWM). */
export function rssMiB(pid: number, which: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const m = new RegExp(`${which}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${which} for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** Resolves with how long after `since` the socket closed, or undefined if it is still open after `ms`. */
export function closedWithin(socket: Socket, ms: number, since = Date.now()): Promise<number | undefined> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(Date.now() - since);
    const timer = setTimeout(() => resolve(undefined), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - since);
    });
  });
}
