/**
 * Gateway test helpers: a real gateway process and real service processes on loopback, and
 * bounded polling for the cluster to settle.
 */
import { startTs, sleep, type Started as Proc } from '../helpers/procs.js';

export interface GatewayProc extends Proc {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  meshAddr: string;
}

export async function startGatewayProc(args: string[] = [], env: Record<string, string | undefined> = {}): Promise<GatewayProc> {
  const flags = ['--listen', '127.0.0.1:0', '--mesh', '127.0.0.1:0', ...args];
  const started = await startTs('test/fixtures/gateway/gateway.ts', { GATEWAY_ARGS: flags.join(' '), ...env });
  const [http, mesh] = started.ready;
  return Object.assign(started, { url: `http://${http}`, meshAddr: mesh });
}

export function startService(gateway: GatewayProc, env: Record<string, string | undefined> = {}): Promise<Proc> {
  return startTs('test/fixtures/gateway/service.ts', { MESHRPC_CLUSTER_NODES: gateway.meshAddr, ...env });
}

/** Poll until `check` returns true (every 25 ms, at most `ms`). */
export async function until(check: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  for (let i = 0; i < 10_000 && Date.now() < end; i++) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await sleep(25);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Instances of a service as the gateway sees them (from GET /). */
export async function instancesOf(gateway: GatewayProc, service: string): Promise<number> {
  const res = await fetch(`${gateway.url}/`);
  const body = (await res.json()) as { services: { name: string; instances: number }[] };
  return body.services.find((s) => s.name === service)?.instances ?? 0;
}

export function post(gateway: GatewayProc, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
