/**
 * The compose story of the original meshRPC, for real: deploy/compose.yaml brought up with
 * docker-compose against podman, the gateway and five greeters on one network finding each other
 * by service name, and steady load from the host through the gateway's published port while
 * greeters are killed, cut off the network, scaled and replaced by a new image.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeProject, inspect, type Container } from './compose.js';
import { buildImage, containerEngine, NODE_BASE, podman, PodmanService, sleep, waitFor } from './engine.js';
import { byGreeter, HUNG, Load, summary } from './load.js';

const engine = await containerEngine();

const GREETER = 'localhost/meshrpc/greeter:test';
const GATEWAY = 'localhost/meshrpc/mesh-api:test';
const GREETER_V2 = 'localhost/meshrpc/greeter:test-v2';
/** The mesh's defaults: a silent link is dropped after 3 s, checked once a second. */
const HEARTBEAT_TIMEOUT = 3000;
const HEARTBEAT_INTERVAL = 1000;
const TEST_LABEL = 'org.meshrpc.test';

describe.skipIf(!engine).sequential('compose on podman: gateway and greeters', () => {
  const service = new PodmanService();
  const name = `meshrpc-ct-${process.pid}`;
  const project = new ComposeProject(service, name, 'deploy/compose.yaml', {
    NODE_IMAGE: NODE_BASE,
    GATEWAY_IMAGE: GATEWAY,
    GREETER_IMAGE: GREETER,
    GATEWAY_PUBLISH: '127.0.0.1::8282', // an ephemeral host port: other suites run on this machine
    GREETER_RESTART: 'no', // a killed greeter stays dead, so what follows is the mesh's doing
  });
  let base = '';
  let greetUrl = '';

  const greeters = async (): Promise<Container[]> => (await project.containers('greeter')).filter((c) => c.running);
  async function instances(): Promise<number> {
    const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    return Number(/^meshrpc_mesh_service_instances\{service="greeter"\} (\d+)/m.exec(text)?.[1] ?? 0);
  }
  const untilInstances = (n: number, timeoutMs = 30_000) =>
    waitFor(`${n} greeter instances at the gateway`, async () => ((await instances()) === n ? Date.now() : undefined), timeoutMs, 100);

  beforeAll(async () => {
    await service.start();
    const t0 = Date.now();
    // One after the other: the second reuses all but the last layers of the first (two at once
    // would both run the same `npm ci`).
    await buildImage(GATEWAY, 'examples/mesh-api/main.ts');
    await buildImage(GREETER, 'examples/greeter/main.ts');
    console.log(`images built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const t1 = Date.now();
    await project.up({ greeter: 5 });
    const [gateway] = await project.containers('gateway');
    base = `http://127.0.0.1:${await project.hostPort(gateway.name, 8282)}`;
    greetUrl = `${base}/greeter/greet/Max`;
    await untilInstances(5, 60_000);
    console.log(`compose up --scale greeter=5: 5 instances at the gateway after ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  });

  afterAll(async () => {
    // The rolling update's containers first: compose does not know them, and they hold the network.
    const { stdout } = await podman(['ps', '-a', '-q', '--filter', `label=${TEST_LABEL}=${name}`]).catch(() => ({ stdout: '' }));
    const left = stdout.split('\n').filter(Boolean);
    if (left.length) await podman(['rm', '-f', '-t', '0', ...left]).catch(() => {});
    await project.down();
    await podman(['network', 'rm', '-f', project.network]).catch(() => {});
    await service.stop();
  });

  it('images: non-root, healthy, and their size is known', async () => {
    const { stdout } = await podman(['image', 'inspect', '--format', '{{.Config.User}} {{.Size}}', GREETER, GATEWAY]);
    const [greeter, gateway] = stdout.trim().split('\n').map((l) => l.split(' '));
    expect(greeter[0]).toBe('node');
    expect(gateway[0]).toBe('node');
    console.log(`image sizes: greeter ${(Number(greeter[1]) / 1e6).toFixed(0)} MB, gateway ${(Number(gateway[1]) / 1e6).toFixed(0)} MB`);
    // The HEALTHCHECK survives the build (--format docker) and passes on both kinds of process.
    const [gw] = await project.containers('gateway');
    const [one] = await greeters();
    for (const c of [gw, one]) await podman(['healthcheck', 'run', c.name], 20_000);
  });

  it('the gateway answers the README curl lines', async () => {
    const greet = await fetch(greetUrl);
    expect(greet.status).toBe(200);
    expect(await greet.json()).toMatch(/^Hello, Max \(from \w+\)$/);
    const post = await fetch(`${base}/greeter/greet`, { method: 'POST', body: '{"name":"Max"}', headers: { 'content-type': 'application/json' } });
    expect(await post.json()).toMatch(/^Hello, Max/);
    expect(await (await fetch(`${base}/greeter/check`)).text()).toMatch(/^All ok! /);
  });

  it('--scale greeter=5 spreads calls over all five containers', async () => {
    const load = new Load(greetUrl, { workers: 4, pauseMs: 0, maxCalls: 200, maxMs: 30_000 });
    await waitFor('200 calls', async () => (load.records.length >= 200 ? true : undefined), 30_000, 100);
    const records = await load.stop();
    const hostnames = (await greeters()).map((c) => c.hostname).sort();
    const counts = byGreeter(records);
    console.log(`spread of ${records.length} calls: ${[...counts.values()].join(', ')}`);
    expect(records.every((r) => r.ok)).toBe(true);
    expect([...counts.keys()].sort()).toEqual(hostnames);
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(20); // round robin: about 40 each
  });

  it('kill -9 one greeter under load: no call hangs, failures at most the calls on it, none after 1 s', async () => {
    const load = new Load(greetUrl, { maxMs: 30_000 });
    await sleep(2000);
    const [victim] = await greeters();
    const killedAt = Date.now();
    await podman(['kill', '--signal', 'KILL', victim.name]);
    const killed = Date.now();
    await sleep(4000);
    const records = await load.stop();
    const failed = records.filter((r) => !r.ok);
    const inFlight = records.filter((r) => r.start <= killed && r.end >= killedAt);
    console.log(`kill: ${summary(records)}; ${inFlight.length} in flight when it died`);
    expect(records.filter((r) => r.error === HUNG)).toEqual([]);
    expect(Math.max(...records.map((r) => r.end - r.start))).toBeLessThan(HEARTBEAT_TIMEOUT);
    expect(failed.length).toBeLessThanOrEqual(inFlight.length); // at most the calls open when it died
    expect(failed.filter((r) => r.start >= killed + 1000)).toEqual([]);
    expect(load.since(killed).filter((r) => r.from === victim.hostname)).toEqual([]);
    await project.up({ greeter: 5 }); // compose starts it again
    await untilInstances(5);
  });

  it('a greeter cut off the network: dropped within the heartbeat timeout, unused after, back after reconnecting', async () => {
    const load = new Load(greetUrl, { maxMs: 60_000 });
    await sleep(2000);
    const [victim] = await greeters();
    const cut = Date.now();
    await podman(['network', 'disconnect', project.network, victim.name]);
    const detected = await untilInstances(4, 15_000);
    const detectMs = detected - cut;
    await sleep(3000);
    const reconnected = Date.now();
    await podman(['network', 'connect', '--alias', 'greeter', project.network, victim.name]);
    const back = await waitFor('the reconnected greeter answering again', async () =>
      load.since(reconnected).find((r) => r.from === victim.hostname)?.start, 30_000, 100);
    const records = await load.stop();
    console.log(`partition: dropped after ${detectMs} ms, answering again ${back - reconnected} ms after reconnect; ${summary(records)}`);
    expect(detectMs).toBeLessThanOrEqual(HEARTBEAT_TIMEOUT + HEARTBEAT_INTERVAL + 500);
    const afterDetection = records.filter((r) => r.start >= detected && r.start < reconnected);
    expect(afterDetection.length).toBeGreaterThan(0);
    expect(afterDetection.filter((r) => !r.ok || r.from === victim.hostname)).toEqual([]);
    expect(records.filter((r) => r.error === HUNG)).toEqual([]);
    await untilInstances(5);
  });

  it('scale 5 -> 1 drops no call, and 1 -> 5 under load: every new container gets traffic within 10 s', async () => {
    const down = new Load(greetUrl, { maxMs: 120_000 });
    await project.up({ greeter: 1 }); // compose stops four with SIGTERM: they drain
    await untilInstances(1);
    const downRecords = await down.stop();
    console.log(`scale 5 -> 1: ${summary(downRecords)}`);
    expect(downRecords.filter((r) => !r.ok)).toEqual([]);

    const [survivor] = await greeters();
    const load = new Load(greetUrl, { maxMs: 120_000 });
    await sleep(1000);
    const scaled = Date.now();
    await project.up({ greeter: 5 });
    const upDone = Date.now();
    const fresh = (await greeters()).filter((c) => c.name !== survivor.name);
    expect(fresh).toHaveLength(4);
    const firstCall = (c: Container) => load.since(scaled).find((r) => r.from === c.hostname)?.end;
    await waitFor('traffic on every new greeter', async () => (fresh.every(firstCall) ? true : undefined), 30_000, 100);
    const records = await load.stop();
    const delays = fresh.map((c) => firstCall(c)! - c.startedAt);
    console.log(`scale 1 -> 5: compose up took ${upDone - scaled} ms; first call on each new container ${delays.join(', ')} ms after it started; ${summary(records)}`);
    for (const d of delays) expect(d).toBeLessThanOrEqual(10_000);
    expect(records.filter((r) => !r.ok)).toEqual([]);
  });

  it('a rolling update to a new image (start one, stop one, SIGTERM) fails no call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshrpc-v2-'));
    try {
      // A new image of the same code: what a release with only new metadata looks like.
      writeFileSync(join(dir, 'Containerfile'), `FROM ${GREETER}\nLABEL org.meshrpc.release=2\n`);
      await podman(['build', '--quiet', '--format', 'docker', '-t', GREETER_V2, dir], 120_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const old = await greeters();
    const load = new Load(greetUrl, { maxMs: 180_000 });
    const replaced: Container[] = [];
    for (const [i, c] of old.entries()) {
      const started = Date.now();
      const { stdout } = await podman(['run', '-d', '--name', `${name}_greeter_v2_${i}`, '--label', `${TEST_LABEL}=${name}`,
        '--network', project.network, '--network-alias', 'greeter',
        '-e', 'MESHRPC_LISTEN_ADDR=0.0.0.0:11999', '-e', 'MESHRPC_CLUSTER_NODES=gateway,greeter', '-e', 'GREETER_ID=hostname', GREETER_V2]);
      const [fresh] = await inspect([stdout.trim()]);
      replaced.push(fresh);
      await waitFor(`${fresh.name} answering`, async () => load.since(started).some((r) => r.from === fresh.hostname) || undefined, 20_000, 100);
      await podman(['stop', '--time', '20', c.name], 60_000);
    }
    await sleep(1000);
    const finished = Date.now();
    await sleep(1000);
    const records = await load.stop();
    const { stdout: codes } = await podman(['inspect', '--format', '{{.State.ExitCode}}', ...old.map((c) => c.name)]);
    console.log(`rolling update of ${old.length} greeters: ${summary(records)}; old containers exited with ${codes.trim().split('\n').join(',')}`);
    expect(records.filter((r) => !r.ok)).toEqual([]);
    expect(codes.trim().split('\n')).toEqual(old.map(() => '0')); // node as PID 1 drained and exited 0
    const now = new Set(byGreeter(load.since(finished)).keys());
    expect([...now].sort()).toEqual(replaced.map((c) => c.hostname).sort());
  });
});
