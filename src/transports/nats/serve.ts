/**
 * Serving one NATS request: headers and subject into a CallContext, then the shared inbound
 * path (pipeline/inbound.ts); the result or a WireError goes back on the reply subject. Shared
 * by NatsServer and NatsMesh, as is how they stop taking requests.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { CallContext } from '../../core/context.js';
import { Failures } from '../../core/failures.js';
import type { Inbound } from '../../pipeline/inbound.js';
import { errorReply, methodOf, readRequestHeaders } from './wire.js';

export function serveMsg(msg: Msg, namespace: string, service: string, inbound: Inbound, method = methodOf(msg.subject)): void {
  let ctx: CallContext;
  try {
    const head = readRequestHeaders(msg.headers);
    ctx = new CallContext({ namespace, service, method, deadline: head.deadline, metadata: head.metadata, codec: head.codec });
  } catch (err) {
    respondError(msg, err);
    return;
  }
  inbound.serve(ctx, msg.data, (err, out) => {
    if (err) return respondError(msg, err);
    if (!msg.reply) return;
    try {
      msg.respond(out);
    } catch (e) {
      // Typically the reply is over max_payload: tell the caller instead of leaving it waiting.
      respondError(msg, Failures.replyNotSent({ why: (e as Error).message }));
    }
  });
}

function respondError(msg: Msg, err: unknown): void {
  if (!msg.reply) return;
  const { headers, body } = errorReply(err);
  try {
    msg.respond(body, { headers });
  } catch {
    // The connection is gone; the caller's deadline ends its wait.
  }
}

/**
 * Stop taking requests without dropping any: drain (not unsubscribe) each subscription, so that
 * requests the server already sent to this client are still served. An unsubscribed one would
 * drop them, and their callers would wait out their whole deadline. New requests then go to the
 * queue group's other members, or get "no responders" at once.
 */
export async function stopServing(nc: NatsConnection, subs: Subscription[]): Promise<void> {
  if (nc.isClosed()) return;
  await Promise.all(subs.map((sub) => sub.drain().catch(() => sub.unsubscribe())));
}
