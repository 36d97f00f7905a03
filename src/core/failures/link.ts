/** Failures of the built-in mesh's links to its peers and of what it writes on them. */
import { named } from './named.js';

export const LinkFailures = {
  linkClosed: named<{ peer: string }>('UNAVAILABLE', (p) => `connection to ${p.peer} is closed`, { notProcessed: true }),
  linkLost: named<{ peer: string; why?: string }>('UNAVAILABLE', (p) => `connection to ${p.peer} ${p.why ? `closed: ${p.why}` : 'lost'}`),
  /** A call in flight on a link that closed: UNAVAILABLE whatever closed the link, with that reason's text. */
  inFlightOnClosedLink: named<{ why: string }>('UNAVAILABLE', (p) => p.why),
  peerSilent: named<{ peer: string; idleMs: number }>('UNAVAILABLE', (p) => `peer ${p.peer} stopped answering (${p.idleMs} ms)`),
  nameTooLongForWire: named<{ name: string; size: number; limit: number }>(
    'INVALID_ARGUMENT',
    (p) => `name too long for the wire (${p.size} bytes, max ${p.limit}): ${p.name.slice(0, 40)}…`,
  ),
} as const;
