/**
 * For tests of refused connections: how a connect failed (a MeshError, or the test fails) and
 * how long that took; and environment variables set for the length of one test.
 */
import { expect } from 'vitest';
import { MeshError } from '../../src/core/errors.js';

/** Run `connect`; it must reject with a MeshError (a client that connects is closed and fails the test). */
export async function refusedConnect(connect: () => Promise<{ close(): unknown }>): Promise<{ err: MeshError; ms: number }> {
  const t0 = Date.now();
  const err = await connect().then(
    async (client) => {
      await client.close();
      return new Error('connected, but should have been refused');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MeshError);
  return { err: err as MeshError, ms: Date.now() - t0 };
}

/** Set these variables for the length of `fn`, then put the old ones back. */
export async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
