/**
 * Serving one NATS request: headers and subject into a CallContext, one dispatch, the result or
 * a WireError back on the reply subject. Shared by NatsServer and NatsMesh.
 */
import type { Msg } from '@nats-io/transport-node';
import { CallContext } from '../../core/context.js';
import { MeshError } from '../../core/errors.js';
import { errorReply, methodOf, readRequestHeaders } from './wire.js';

export type DispatchFn = (ctx: CallContext, payload: Uint8Array) => Promise<Uint8Array>;

export function serveMsg(msg: Msg, namespace: string, service: string, dispatch: DispatchFn, method = methodOf(msg.subject)): void {
  let ctx: CallContext;
  try {
    const head = readRequestHeaders(msg.headers);
    ctx = new CallContext({ namespace, service, method, deadline: head.deadline, metadata: head.metadata, codec: head.codec });
  } catch (err) {
    respondError(msg, err);
    return;
  }
  if (ctx.deadline !== undefined && ctx.deadline <= Date.now()) {
    respondError(msg, new MeshError('DEADLINE_EXCEEDED', 'deadline exceeded before the call reached the handler'));
    return;
  }
  dispatch(ctx, msg.data).then(
    (out) => {
      ctx.finish();
      if (!msg.reply) return;
      try {
        msg.respond(out);
      } catch (err) {
        // Typically the reply is over max_payload: tell the caller instead of leaving it waiting.
        respondError(msg, new MeshError('RESOURCE_EXHAUSTED', `reply could not be sent: ${(err as Error).message}`));
      }
    },
    (err) => {
      ctx.finish();
      respondError(msg, err);
    },
  );
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
