/**
 * Without an OpenTelemetry SDK the tracing interceptors are not installed and nothing is
 * written into a call: the metadata a handler sees is what the caller sent, a `traceparent` the
 * caller set itself passes through unchanged, and log mixins add nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createHandler, currentContext, defineService, Mesh } from '../../src/index.js';
import { traceMixin } from '../../src/observability/log.js';
import { tracingActive } from '../../src/observability/tracing.js';
import { instancesOf } from '../helpers/cluster.js';

interface Probe {
  metadata(): Promise<Record<string, string>>;
}
const probeSpec = defineService<Probe>('probe', { metadata: [] });

let server: Mesh;
let caller: Mesh;
const mixins: Record<string, string>[] = [];

beforeAll(async () => {
  server = new Mesh({ name: 'probe' });
  server.publish(
    createHandler(probeSpec, {
      async metadata() {
        mixins.push(traceMixin());
        return { ...currentContext()!.metadata };
      },
    }),
  );
  await server.listen('127.0.0.1:0');
  caller = new Mesh({ name: 'caller', nodes: [server.address!] });
  await caller.listen('127.0.0.1:0');
  for (let i = 0; i < 200 && instancesOf(caller, 'probe').length === 0; i++) await new Promise((r) => setTimeout(r, 25));
});

afterAll(async () => {
  await caller?.close();
  await server?.close();
});

describe('without an OpenTelemetry SDK', () => {
  it('adds no trace context and passes one the caller set unchanged', async () => {
    expect(tracingActive()).toBe(false);
    const probe = createClient(probeSpec, caller);
    expect(await probe.metadata()).toEqual({});
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(await probe.with({ metadata: { traceparent } }).metadata()).toEqual({ traceparent });
    expect(mixins).toEqual([{}, {}]);
  });
});
