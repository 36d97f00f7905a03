/**
 * The image's health check, on node alone (the image has no curl or wget):
 *   HEALTHCHECK_URL set        GET it; healthy on a 2xx (the gateway: http://127.0.0.1:8282/readyz)
 *   otherwise                  a TCP connect to the mesh port of MESHRPC_LISTEN_ADDR (default 11999)
 *   MESHRPC_TRANSPORT=nats://  healthy while running: such a node listens on no port of its own
 * Exit 0 healthy, 1 not; every attempt is bounded by a 5 s timer (a busy
 * node takes a while just to start a second node process).
 */
import { connect } from 'node:net';

const timer = setTimeout(() => fail('no answer within 5 s'), 5000);
function ok() { clearTimeout(timer); process.exit(0); }
function fail(why) { console.error(`unhealthy: ${why}`); process.exit(1); }

const url = process.env.HEALTHCHECK_URL;
const transport = process.env.MESHRPC_TRANSPORT ?? '';
if (url) {
  fetch(url, { signal: AbortSignal.timeout(4900) }).then(
    (res) => (res.ok ? ok() : fail(`${url} answered ${res.status}`)),
    (err) => fail(`${url}: ${err.cause?.code ?? err.message}`),
  );
} else if (transport.startsWith('nats://')) {
  ok();
} else {
  const port = Number((process.env.MESHRPC_LISTEN_ADDR ?? '').split(':').pop()) || 11999;
  const socket = connect({ host: '127.0.0.1', port }, () => { socket.destroy(); ok(); });
  socket.on('error', (err) => fail(`mesh port ${port}: ${err.code ?? err.message}`));
}
