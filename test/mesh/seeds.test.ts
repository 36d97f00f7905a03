/**
 * Seeds given by host name are resolved again and dialed with backoff, so a node started
 * before its seed exists finds it once it appears.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Mesh } from '../../src/index.js';
import { killAll, startProbe } from '../helpers/procs.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('seeds', () => {
  const meshes: Mesh[] = [];
  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
    await killAll();
  });

  it('a node seeded by host name finds an instance that starts later', async () => {
    const port = await freePort();
    const caller = new Mesh({ name: 'early', nodes: `localhost:${port}` });
    meshes.push(caller);
    await caller.listen();
    expect(caller.services()).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    await startProbe({ PROBE_ID: 'late', PROBE_LISTEN: `127.0.0.1:${port}` });
    await caller.waitFor('probe', 8000);
    expect(caller.services().find((s) => s.name === 'probe')?.instances).toHaveLength(1);
  });

  it('waitFor rejects with DEADLINE_EXCEEDED naming what is missing', async () => {
    const lonely = new Mesh({ name: 'lonely' });
    meshes.push(lonely);
    await lonely.listen();
    await expect(lonely.waitFor(['ghost'], 200)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', message: expect.stringContaining('ghost') });
  });
});
