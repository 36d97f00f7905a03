/**
 * Forwarding `/<service>/<path>` to a service's published HTTP handler over a mesh byte stream,
 * to one of its instances (the mesh balances). Method, headers and query go in the stream head,
 * the request body streams in as DATA, and the reply head (status, headers) and body stream back
 * into the HTTP response. Needs a node that can open byte streams (the built-in Mesh can).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { MeshError } from '../core/errors.js';
import type { MeshNode } from '../core/node.js';
import type { OpenedStream } from '../core/stream.js';
import { Failures } from '../core/failures.js';
import { HttpError } from './errors.js';
import { decodeReplyHead, encodeHead, forwardableHeaders, HTTP_STREAM_METHOD } from './http-head.js';
import type { GatewayMetrics } from './metrics.js';
import { bodyStream, deadlineOf, metadataOf, stickyKeyOf, tooLarge, type DeadlinePolicy } from './request.js';
import { missingService, unknownMethod } from './rpc.js';
import type { ServiceTable } from './services.js';

export interface ForwardDeps {
  node: MeshNode;
  table: ServiceTable;
  metrics: GatewayMetrics | undefined;
  policy: DeadlinePolicy;
  /** Largest request body forwarded to a handler (bytes). */
  bodyLimit: number;
}

export function createForwarder(deps: ForwardDeps) {
  const { node, table, metrics, policy, bodyLimit } = deps;

  /** Forward this request to `service`'s handler; the path it sees is the URL after `/<service>`. */
  async function forward(request: FastifyRequest, reply: FastifyReply, service: string): Promise<FastifyReply> {
    request.meshrpc = { service, method: 'http' };
    if (!node.capabilities.streams || !node.openStream) {
      throw Failures.cannotForwardHttp();
    }
    const declared = request.headers['content-length'];
    if (declared !== undefined && Number(declared) > bodyLimit) throw tooLarge(bodyLimit);

    const headers = forwardableHeaders(request.headers);
    headers['x-forwarded-for'] = appendForwarded(request.headers['x-forwarded-for'], request.ip);
    headers['x-forwarded-proto'] ??= request.protocol;
    if (request.headers.host) headers['x-forwarded-host'] ??= request.headers.host;
    headers['x-forwarded-prefix'] = `/${service}`;
    headers['x-request-id'] = request.id;
    const head = encodeHead({ method: request.method, url: pathAfterService(request.url), headers, remote: request.ip });

    // The client going away before its response finished cancels the stream on the mesh.
    const abort = new AbortController();
    const gone = () => {
      if (!reply.raw.writableFinished) abort.abort(Failures.httpClientGone());
    };
    if (reply.raw.destroyed || request.raw.destroyed) gone();
    else reply.raw.once('close', gone);
    const stream = node.openStream(table.target(service, HTTP_STREAM_METHOD), head, {
      deadline: deadlineOf(request, policy),
      metadata: metadataOf(request),
      stickyKey: stickyKeyOf(request),
      signal: abort.signal,
    });
    metrics?.callStarted();
    let ended = false;
    const end = () => {
      if (!ended) metrics?.callEnded();
      ended = true;
    };
    try {
      // The reply may start before the request body has all gone in (an echoing handler), so
      // wait for the reply head, or for the body to fail (too large, client gone) first.
      const replied = stream.reply;
      replied.catch(() => {});
      const pumping = pump(bodyStream(request), stream, bodyLimit, abort);
      pumping.catch((err) => request.log.debug({ err }, 'request body not forwarded whole'));
      const { head: replyHead, body } = await Promise.race([replied, pumping.then(() => replied)]);
      // The body fails when the client or the instance goes away mid-stream; never let that
      // be an unhandled 'error' (Fastify may not have piped it yet, or at all).
      body.on('error', (err) => request.log.debug({ err }, 'forwarded response body ended early'));
      body.once('end', end);
      body.once('close', end);
      if (abort.signal.aborted || reply.raw.destroyed) {
        body.destroy();
        const tooBig = overLimit(abort);
        if (tooBig) throw tooBig; // the body outgrew the limit: 413, whatever the handler began
        return reply.code(499).send(); // nobody is listening; this closes the books on the request
      }
      let head: ReturnType<typeof decodeReplyHead>;
      try {
        head = decodeReplyHead(replyHead);
      } catch (err) {
        body.destroy();
        throw err;
      }
      const { status, headers: out } = head;
      reply.code(status);
      for (const [name, value] of Object.entries(out)) if (value !== undefined) reply.header(name, value);
      return reply.send(body);
    } catch (err) {
      end();
      // A body cut off at the limit also cancels the stream: report the cause, not the effect.
      throw overLimit(abort) ?? err;
    }
  }

  /** The route for `/<service>` and `/<service>/*`. */
  async function forwardRoute(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { service } = request.params as { service: string };
    const entry = table.get(service);
    if (!entry) {
      request.meshrpc = { service: table.wasSeen(service) ? service : '(none)', method: 'http' };
      throw missingService(table, service);
    }
    if (!entry.http) {
      request.meshrpc = { service, method: '(unknown)' };
      const rest = (request.params as { '*'?: string })['*'] ?? '';
      if (entry.methods?.has(rest)) {
        reply.header('allow', 'POST');
        throw HttpError.of(405, Failures.callWithPost({ service, method: rest }));
      }
      throw unknownMethod(service, rest, entry.methods, true);
    }
    return forward(request, reply, service);
  }

  return { forward, forwardRoute };
}

/** `/greeter/check?x=1` → `/check?x=1`; `/greeter?x=1` → `/?x=1`. Raw, so encodings are kept. */
export function pathAfterService(url: string): string {
  let end = 1;
  while (end < url.length && url.charCodeAt(end) !== 0x2f /* / */ && url.charCodeAt(end) !== 0x3f /* ? */) end++;
  const rest = url.slice(end);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

function appendForwarded(existing: string | string[] | undefined, ip: string): string {
  const prior = Array.isArray(existing) ? existing.join(', ') : existing;
  return prior ? `${prior}, ${ip}` : ip;
}

/** The limit error a forwarding was aborted with, if that is why it was aborted. */
function overLimit(abort: AbortController): MeshError | undefined {
  const reason: unknown = abort.signal.reason;
  return reason instanceof MeshError && reason.code === 'RESOURCE_EXHAUSTED' ? reason : undefined;
}

/** Copy the request body into the mesh stream, at most `limit` bytes. */
async function pump(source: Readable, stream: OpenedStream, limit: number, abort: AbortController): Promise<void> {
  if (source.readableEnded) {
    await stream.end();
    return;
  }
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        abort.abort(tooLarge(limit));
        throw tooLarge(limit);
      }
      await stream.write(chunk); // the mesh stream's window paces the upload
    }
    // An upload cut short (the client went away) must not look like a complete body.
    if ((source as Partial<IncomingMessage>).complete === false) {
      throw Failures.httpClientGone({ during: 'the upload' });
    }
    await stream.end();
  } catch (err) {
    if (!abort.signal.aborted) abort.abort(err);
    throw err;
  }
}
