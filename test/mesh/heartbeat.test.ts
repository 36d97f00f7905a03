/**
 * Failure detection by heartbeat: a peer that stops answering without closing its socket
 * (here: a process frozen with SIGSTOP) is removed after the heartbeat timeout, and calls go to
 * the instance that still answers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, Mesh } from '../../src/index.js';
import { probeSpec } from '../fixtures/mesh/probe.js';
import { instancesOf, twoProbes } from '../helpers/cluster.js';
import { killAll, sleep } from '../helpers/procs.js';

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
});
