/**
 * The cluster most mesh tests start from: two probe instances in their own processes ("a" and
 * "b") and a caller Mesh in the test process that knows both.
 */
import { Mesh, type MeshOptions } from '../../src/index.js';
import { sleep, startProbe, type Started } from './procs.js';

export interface TwoProbes {
  a: Started;
  b: Started;
  caller: Mesh;
}

/** Instance ids of a service as the mesh sees them now. */
export function instancesOf(mesh: Mesh, service: string): string[] {
  return mesh.services().find((s) => s.name === service)?.instances ?? [];
}

export async function twoProbes(callerOptions: Partial<MeshOptions> = {}): Promise<TwoProbes> {
  const a = await startProbe({ PROBE_ID: 'a' });
  const b = await startProbe({ PROBE_ID: 'b', MESHRPC_CLUSTER_NODES: a.ready[0] });
  const caller = new Mesh({ name: 'caller', nodes: [a.ready[0], b.ready[0]], ...callerOptions });
  await caller.listen();
  await caller.waitFor('probe', 10_000);
  // Both instances must be linked before a test counts anything.
  for (let i = 0; i < 200 && instancesOf(caller, 'probe').length < 2; i++) await sleep(25);
  if (instancesOf(caller, 'probe').length < 2) throw new Error('the caller did not see both probe instances within 5 s');
  return { a, b, caller };
}
