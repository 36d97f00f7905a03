/**
 * Failure detection by heartbeat: a peer that stops answering without closing its socket
 * (here: a process frozen with SIGSTOP) is removed after the heartbeat timeout, and calls go to
 * the instance that still answers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, Mesh } from '../../src/index.js';
import { probeSpec } from '../fixtures/mesh/probe.js';
import { instancesOf, twoProbes } from '../helpers/cluster.js';
import { killAll, sleep, startProbe } from '../helpers/procs.js';

describe('heartbeat', () => {
  let caller: Mesh | undefined;
  afterAll(async () => {
    await caller?.close();
    await killAll();
  });

  it('removes a frozen peer after the heartbeat timeout and routes to the live one', async () => {
    const { a, b, caller: c } = await twoProbes({ heartbeatInterval: 200, heartbeatTimeout: 600 });
    caller = c;
    const probeInstances = () => instancesOf(c, 'probe');

    a.proc.kill('SIGSTOP');
    try {
      const frozenAt = Date.now();
      while (probeInstances().length > 1 && Date.now() - frozenAt < 5000) await sleep(20);
      const detectedAfter = Date.now() - frozenAt;
      expect(probeInstances()).toEqual([b.ready[1]]);
      expect(detectedAfter).toBeGreaterThanOrEqual(400); // not before the peer was really silent
      const probe = createClient(probeSpec, caller).with({ timeout: 2000 });
      for (let i = 0; i < 20; i++) expect(await probe.whoami()).toBe('b');
    } finally {
      a.proc.kill('SIGCONT');
    }
  });

  it('a node whose own event loop was blocked past its heartbeat timeout keeps its links (the silence was its own)', async () => {
    const node = await startProbe({ PROBE_ID: 'busy' });
    const busy = new Mesh({ name: 'busy-caller', nodes: [node.ready[0]], heartbeatInterval: 200, heartbeatTimeout: 600 });
    try {
      await busy.listen();
      await busy.waitFor('probe', 10_000);
      const probe = createClient(probeSpec, busy).with({ timeout: 2000 });
      expect(await probe.whoami()).toBe('busy');
      let changes = 0;
      busy.onServicesChanged(() => changes++); // a closed link shows here, even if it is dialed again at once
      const end = Date.now() + 1500; // 2.5 heartbeat timeouts of not running at all
      while (Date.now() < end) {
        // busy: no timer, no socket read
      }
      await sleep(300); // the late timers and the unread bytes both get their turn
      expect(changes, 'the link was never closed').toBe(0);
      expect(instancesOf(busy, 'probe')).toHaveLength(1);
      expect(await probe.whoami()).toBe('busy');
    } finally {
      await busy.close();
    }
  });
});
