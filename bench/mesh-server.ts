/**
 * The server side of the mesh benchmark, in its own process: either a mesh node serving the
 * greeter, or the raw-socket baseline (length-prefixed JSON frames over `net`, replies of one
 * tick coalesced). With BENCH_TLS_CA/CERT/KEY set, both run over mutual TLS 1.3 (the baseline
 * then is the same frames over node:tls). Prints READY <address>; on SIGTERM prints PEAK_RSS
 * <bytes> and exits.
 */
import { readFileSync } from 'node:fs';
import { createServer as createPlainServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Mesh } from '../src/index.js';
import { greeterHandler } from '../examples/greeter/greeter.mesh.js';
import { Greeter } from '../examples/greeter/service.js';

let peakRss = process.memoryUsage().rss;
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50).unref();

const mode = process.argv[2];
const greeter = new Greeter();
const env = process.env;
const tls = env.BENCH_TLS_CA ? { ca: env.BENCH_TLS_CA, cert: env.BENCH_TLS_CERT!, key: env.BENCH_TLS_KEY! } : undefined;

if (mode === 'mesh') {
  const mesh = new Mesh({ name: 'greeter', codec: (env.BENCH_CODEC as 'json' | 'msgpack') ?? 'json', ...(tls && { tls }) });
  mesh.publish(greeterHandler(greeter));
  await mesh.listen('127.0.0.1:0');
  console.log(`READY ${mesh.address}`);
} else {
  // Baseline: frame = u32 length + JSON {"id","method","args"}; reply = u32 length + JSON {"id","result"}.
  const onSocket = (socket: Socket) => {
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let corked = false;
    socket.on('data', (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let o = 0;
      while (buf.length - o >= 4) {
        const len = buf.readUInt32BE(o);
        if (buf.length - o - 4 < len) break;
        const req = JSON.parse(buf.toString('utf8', o + 4, o + 4 + len));
        o += 4 + len;
        void greeter.greet(req.args.name).then((result) => {
          const body = Buffer.from(JSON.stringify({ id: req.id, result }));
          const frame = Buffer.allocUnsafe(4 + body.length);
          frame.writeUInt32BE(body.length, 0);
          body.copy(frame, 4);
          if (!corked) {
            corked = true;
            socket.cork();
            process.nextTick(() => {
              corked = false;
              socket.uncork();
            });
          }
          socket.write(frame);
        });
      }
      buf = o === buf.length ? Buffer.alloc(0) : buf.subarray(o);
    });
  };
  const server = tls
    ? createTlsServer(
        { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
        onSocket,
      )
    : createPlainServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  console.log(`READY 127.0.0.1:${(server.address() as { port: number }).port}`);
}

process.on('SIGTERM', () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  console.log(`PEAK_RSS ${peakRss}`);
  process.exit(0);
});
