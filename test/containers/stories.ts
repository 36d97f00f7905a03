/**
 * What the compose stories on either engine ask of the gateway: how many greeters it routes to
 * (its /metrics), the README's curl lines, and a burst of calls to see how they spread.
 */
import { expect } from 'vitest';
import type { ComposeProject } from './compose.js';
import { waitFor } from './engine.js';
import { Load, type CallRecord } from './load.js';

/** Live greeter instances the gateway routes to, from meshrpc_mesh_service_instances. */
export async function greeterInstances(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
  return Number(/^meshrpc_mesh_service_instances\{service="greeter"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Resolve with the time the gateway routes to exactly n greeters. */
export function untilInstances(base: string, n: number, timeoutMs = 30_000): Promise<number> {
  return waitFor(`${n} greeter instances at the gateway`, async () => ((await greeterInstances(base)) === n ? Date.now() : undefined), timeoutMs, 100);
}

/** The curl lines of the README, answered through the gateway. */
export async function expectReadmeCurlLines(base: string): Promise<void> {
  const greet = await fetch(`${base}/greeter/greet/Max`);
  expect(greet.status).toBe(200);
  expect(await greet.json()).toMatch(/^Hello, Max \(from \w+\)$/);
  const post = await fetch(`${base}/greeter/greet`, { method: 'POST', body: '{"name":"Max"}', headers: { 'content-type': 'application/json' } });
  expect(await post.json()).toMatch(/^Hello, Max/);
  expect(await (await fetch(`${base}/greeter/check`)).text()).toMatch(/^All ok! /);
}

/** About n calls as fast as four callers go, bounded at 30 s. */
export async function burst(url: string, n: number): Promise<CallRecord[]> {
  const load = new Load(url, { workers: 4, pauseMs: 0, maxCalls: n, maxMs: 30_000 });
  await waitFor(`${n} calls`, async () => (load.records.length >= n ? true : undefined), 30_000, 100);
  return load.stop();
}

/** `up --scale greeter=n`, then the gateway's published HTTP address once it routes to all n. */
export async function upWithGreeters(project: ComposeProject, n: number): Promise<string> {
  const t0 = Date.now();
  await project.up({ greeter: n });
  const [gateway] = await project.containers('gateway');
  const base = `http://127.0.0.1:${await project.hostPort(gateway.name, 8282)}`;
  await untilInstances(base, n, 60_000);
  console.log(`${project.name}: up --scale greeter=${n}: ${n} instances at the gateway after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return base;
}
