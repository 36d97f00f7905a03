/**
 * Joining through any node: a node that joined through a non-seed node learns every service
 * instance in the cluster; nodes with other tags never see each other's services.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mesh } from '../../src/index.js';
import { killAll, startProbe, type Started } from '../helpers/procs.js';

async function instancesOf(mesh: Mesh, service: string, want: number, timeoutMs = 5000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ids = mesh.services().find((s) => s.name === service)?.instances ?? [];
    if (ids.length >= want || Date.now() > until) return [...ids].sort();
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('discovery through gossip', () => {
  let seed: Started;
  let middle: Started;
  let blue: Started;
  const meshes: Mesh[] = [];

  beforeAll(async () => {
    seed = await startProbe({ PROBE_ID: 'seed' });
    middle = await startProbe({ PROBE_ID: 'middle', MESHRPC_CLUSTER_NODES: seed.ready[0] });
    blue = await startProbe({ PROBE_ID: 'blue', MESHRPC_CLUSTER_NODES: seed.ready[0], MESHRPC_CLUSTER_TAGNAME: 'blue' });
  });

  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
    await killAll();
  });

  it('a node joining through a non-seed node learns every instance', async () => {
    const late = new Mesh({ name: 'late', nodes: [middle.ready[0]] });
    meshes.push(late);
    await late.listen('127.0.0.1:0');
    const ids = await instancesOf(late, 'probe', 2);
    expect(ids).toEqual([seed.ready[1], middle.ready[1]].sort());
    // The seed learned the late node too (gossip flows both ways).
    expect(late.members().map((m) => m.id)).toContain(seed.ready[1]);
  });

  it('a node with another tag sees none of the untagged services, and they never see it', async () => {
    const untagged = new Mesh({ name: 'plain', nodes: [seed.ready[0]] });
    meshes.push(untagged);
    await untagged.listen();
    const plainIds = await instancesOf(untagged, 'probe', 3, 1500);
    expect(plainIds).toEqual([seed.ready[1], middle.ready[1]].sort());
    expect(plainIds).not.toContain(blue.ready[1]);
  });

  it('nodes with the same tag find each other', async () => {
    const blueCaller = new Mesh({ name: 'blue-caller', nodes: [blue.ready[0], seed.ready[0]], tags: 'blue' });
    meshes.push(blueCaller);
    await blueCaller.listen();
    const ids = await instancesOf(blueCaller, 'probe', 2, 1500);
    expect(ids).toEqual([blue.ready[1]]);
  });
});
