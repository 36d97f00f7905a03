/**
 * One request/reply call over a NATS connection, shared by the NATS client and NATS-as-mesh,
 * sent once the outbound path (pipeline/outbound.ts) has started it: deadline as the request
 * timeout, cancellation via the caller's signal, payloads over the server's max_payload refused
 * at once, and every NATS failure mapped onto the code table.
 */
import { errors as natsErrors, type NatsConnection } from '@nats-io/transport-node';
import type { CallOptions } from '../../core/caller.js';
import type { Codec } from '../../core/codec.js';
import { MeshError } from '../../core/errors.js';
import { Failures } from '../../core/failures.js';
import { mayRetry } from '../../pipeline/outbound.js';
import { publishRetry } from '../../observability/call-events.js';
import { NatsRequester } from './requester.js';
import { errorOfReply, requestHeaders } from './wire.js';

export async function natsRequest(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array,
  options: CallOptions,
  deadline: number,
  codec: Codec,
): Promise<Uint8Array> {
  if (nc.isClosed() || nc.isDraining()) throw Failures.brokerClosed({ broker: 'NATS' });
  const signal = options.signal;
  const max = nc.info?.max_payload;
  if (max !== undefined && payload.length > max) {
    throw Failures.requestTooLarge({ size: payload.length, limit: max, what: "the NATS server's max_payload" }, { notProcessed: true, details: { size: payload.length, max } });
  }
  const codecName = options.codec ?? codec.name;
  let reply;
  // "No responders" means no instance received the call, so trying again is safe; a short
  // backoff bridges a restarting or re-subscribing server (bounded by the deadline).
  for (let attempt = 0; ; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) throw Failures.deadlineExceeded({ target: subject });
    try {
      reply = await NatsRequester.of(nc).request(subject, payload, requestHeaders(left, codecName, options.metadata), left, signal);
      break;
    } catch (err) {
      const mapped = mapNatsError(err, subject);
      const pause = NO_RESPONDER_BACKOFF[attempt];
      if (mapped.code !== 'UNAVAILABLE' || !mayRetry(mapped, attempt, NO_RESPONDER_BACKOFF.length) || Date.now() + pause >= deadline) throw mapped;
      publishRetry({ destination: subject, attempt: attempt + 1, error: mapped, kind: 'backoff' });
      await sleep(pause, signal);
    }
  }
  const remote = errorOfReply(reply.headers, reply.data);
  if (remote) throw remote;
  return reply.data;
}

const NO_RESPONDER_BACKOFF = [25, 50, 100, 200, 400];

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(Failures.cancelledByCaller());
    }, { once: true });
  });
}

/** NATS client errors as MeshErrors. */
export function mapNatsError(err: unknown, subject: string): MeshError {
  if (err instanceof MeshError) return err;
  const e = err as Error;
  const chain: Error[] = [];
  for (let c: unknown = e; c instanceof Error && chain.length < 5; c = (c as { cause?: unknown }).cause) chain.push(c);
  const has = (cls: abstract new (...a: never[]) => Error) => chain.some((c) => c instanceof cls);
  if (has(natsErrors.NoRespondersError) || (e instanceof natsErrors.RequestError && e.isNoResponders())) {
    return Failures.noResponders({ subject }, { cause: err });
  }
  if (has(natsErrors.TimeoutError)) return Failures.deadlineExceeded({ target: subject }, { cause: err });
  if (chain.some((c) => /max_payload/i.test(c.message))) {
    return Failures.overMaxPayload({ why: e.message }, { cause: err });
  }
  if (has(natsErrors.ClosedConnectionError) || has(natsErrors.DrainingConnectionError) || has(natsErrors.ConnectionError)) {
    return Failures.brokerLost({ broker: 'NATS', why: e.message }, { cause: err });
  }
  if (has(natsErrors.PermissionViolationError)) return Failures.brokerPermissionDenied({ broker: 'NATS', why: e.message }, { cause: err });
  if (has(natsErrors.InvalidSubjectError) || has(natsErrors.InvalidArgumentError)) return Failures.brokerRejectedArgument({ broker: 'NATS', why: e.message }, { cause: err });
  return Failures.brokerRequestFailed({ broker: 'NATS', why: e?.message ?? String(err) }, { cause: err });
}
