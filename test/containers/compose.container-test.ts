/**
 * The compose story of the original meshRPC, for real: deploy/compose.yaml brought up with
 * docker-compose against podman, the gateway and five greeters on one network finding each other
 * by service name, and steady load from the host through the gateway's published port while
 * greeters are killed, cut off the network, scaled and replaced by a new image.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ComposeProject, inspect, type Container } from './compose.js';
import { IMAGES, NODE_BASE, podman, sleep, waitFor } from './engine.js';
import { byGreeter, HUNG, Load, summary } from './load.js';
import { burst, expectReadmeCurlLines, untilInstances as untilAt, upWithGreeters } from './stories.js';

const socket = inject('containers'); // '' when there is no engine: global-setup.ts said why

const GREETER = IMAGES.greeter;
const GATEWAY = IMAGES.gateway;
const GREETER_V2 = 'localhost/meshrpc/greeter:test-v2';
/** The mesh's defaults: a silent link is dropped after 3 s, checked once a second. */
const HEARTBEAT_TIMEOUT = 3000;
const HEARTBEAT_INTERVAL = 1000;
const TEST_LABEL = 'org.meshrpc.test';

describe.skipIf(!socket).sequential('compose on podman: gateway and greeters', () => {
  const name = `meshrpc-ct-${process.pid}`;
  const project = new ComposeProject(socket, name, ['deploy/compose.yaml'], {
    NODE_IMAGE: NODE_BASE,
    GATEWAY_IMAGE: GATEWAY,
    GREETER_IMAGE: GREETER,
    GATEWAY_PUBLISH: '127.0.0.1::8282', // an ephemeral host port: other suites run on this machine
    GREETER_RESTART: 'no', // a killed greeter stays dead, so what follows is the mesh's doing
  });
  let base = '';
  let greetUrl = '';

  const greeters = async (): Promise<Container[]> => (await project.containers('greeter')).filter((c) => c.running);
  const untilInstances = (n: number, timeoutMs?: number) => untilAt(base, n, timeoutMs);

  beforeAll(async () => {
    base = await upWithGreeters(project, 5);
    greetUrl = `${base}/greeter/greet/Max`;
  });

  // The rolling update's containers too: compose does not know them, and they hold the network.
  afterAll(() => project.down(`${TEST_LABEL}=${name}`));

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

  it('the gateway answers the README curl lines', () => expectReadmeCurlLines(base));

  it('--scale greeter=5 spreads calls over all five containers', async () => {
    const records = await burst(greetUrl, 200);
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
    await podman(['network', 'disconnect', project.network, victim.name]);
    const cut = Date.now();
    const detected = await untilInstances(4, 15_000);
    // Silence starts with the last frame through; the last reply the host got from it is that
    // frame's echo (podman's disconnect takes a moment to bite, so the command's return is later).
    const lastHeard = Math.max(...load.records.filter((r) => r.from === victim.hostname).map((r) => r.end));
    const detectMs = detected - lastHeard;
    await sleep(3000);
    const reconnected = Date.now();
    await podman(['network', 'connect', '--alias', 'greeter', project.network, victim.name]);
    const back = await waitFor('the reconnected greeter answering again', async () =>
      load.since(reconnected).find((r) => r.from === victim.hostname)?.start, 30_000, 100);
    const records = await load.stop();
    console.log(`partition: dropped ${detectMs} ms after its last reply (${detected - cut} ms after the disconnect command returned), answering again ${back - reconnected} ms after reconnect; ${summary(records)}`);
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
        '-e', 'MESHRPC_LISTEN_ADDR=0.0.0.0:11999', '-e', 'MESHRPC_CLUSTER_NODES=gateway,greeter', '-e', 'MESHRPC_INSECURE=1', '-e', 'GREETER_ID=hostname', GREETER_V2]);
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
