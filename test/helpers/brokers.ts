/**
 * Broker-requiring tests: is NATS / RabbitMQ reachable on this machine? When it is not, a test
 * file skips its broker suites with a printed reason — unless MESHRPC_REQUIRE_BROKERS=1 (CI),
 * in which case the check throws and the file fails instead of silently passing.
 *
 *   const nats = await broker('NATS', NATS_URL);
 *   describe.skipIf(!nats)('...', () => { ... });
 */
import { connect as tcpConnect } from 'node:net';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function requireBrokers(): boolean {
  return process.env.MESHRPC_REQUIRE_BROKERS === '1';
}

/** True when a TCP connection to host:port opens within timeoutMs. */
export function reachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Reachability of a broker URL; throws under MESHRPC_REQUIRE_BROKERS=1, else prints why it skips. */
export async function broker(name: string, url: string): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port) || (u.protocol === 'amqp:' ? 5672 : 4222);
  const ok = await reachable(u.hostname, port);
  if (ok) return true;
  const reason = `${name} is not reachable at ${u.hostname}:${port}`;
  if (requireBrokers()) throw new Error(`${reason} and MESHRPC_REQUIRE_BROKERS=1: failing instead of skipping`);
  console.warn(`[skipped] ${reason}; its integration tests are skipped (set MESHRPC_REQUIRE_BROKERS=1 to fail instead)`);
  return false;
}

/** Kafka brokers from KAFKA_BROKERS, or undefined (with a printed reason) when unset. */
export function kafkaBrokers(): string[] | undefined {
  const list = (process.env.KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length > 0) return list;
  console.warn('[skipped] Kafka integration tests: KAFKA_BROKERS is not set (no Kafka broker runs on this machine); unit tests still run');
  return undefined;
}
