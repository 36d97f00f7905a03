/**
 * The conformance cases: one file of behaviour every transport must show, run against each by
 * test/conformance/transports.test.ts (Hono's router/common.case.test.ts is the model). A new
 * transport passes by adding one `Transport` there. What a wire cannot carry (a cancel frame, a
 * size limit) is declared on its Transport, with the reason, and the case checks what remains.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MeshError,
  createClient,
  createHandler,
  currentContext,
  defineService,
  type Caller,
  type ClientInterceptor,
  type ErrorCode,
  type NodeInterceptors,
  type Publishable,
  type ServerInterceptor,
} from 'meshrpc';

export interface Probe {
  greet(name: string): Promise<string>;
  fail(code: string, message: string): Promise<void>;
  crash(): Promise<void>;
  /** Resolves when the served call's signal fires; what fired it is recorded under `id`. */
  waitForAbort(id: string): Promise<string>;
  sleep(ms: number): Promise<number>;
  metadata(): Promise<Record<string, string>>;
  size(data: string): Promise<number>;
  forbidden(): Promise<string>;
}

/** Named-argument checks as a generated validator makes them: `name` must be a string. */
export const probeSpec = defineService<Probe>('probe', {
  greet: {
    params: ['name'],
    validateParams: (args) => (typeof args.name === 'string' ? undefined : [{ path: 'name', expected: 'string', got: typeof args.name }]),
  },
  fail: ['code', 'message'],
  crash: [],
  waitForAbort: ['id'],
  sleep: ['ms'],
  metadata: [],
  size: ['data'],
  forbidden: [],
});

/** What handlers saw, for cases that check the serving side. */
export const seen = {
  aborts: new Map<string, string>(),
  forbiddenRan: 0,
  sleepsStarted: 0,
};

const probe: Probe = {
  greet: async (name) => `Hello, ${name}`,
  fail: async (code, message) => {
    throw new MeshError(code as ErrorCode, message, { details: { why: 'conformance' } });
  },
  crash: async () => {
    throw new TypeError('x is undefined');
  },
  waitForAbort: (id) => {
    const signal = currentContext()!.signal;
    return new Promise((resolve) => {
      const done = () => {
        seen.aborts.set(id, MeshError.from(signal.reason).code);
        resolve('aborted');
      };
      if (signal.aborted) done();
      else signal.addEventListener('abort', done, { once: true });
    });
  },
  sleep: (ms) => {
    seen.sleepsStarted++;
    return new Promise((r) => setTimeout(() => r(ms), ms));
  },
  metadata: async () => ({ ...currentContext()!.metadata }),
  size: async (data) => data.length,
  forbidden: async () => {
    seen.forbiddenRan++;
    return 'ran';
  },
};

export const probeHandler = (): Publishable => createHandler(probeSpec, probe);

/** A server and a caller of one transport, serving `services` with `interceptors` in place. */
export interface Subject {
  caller: Caller;
  /** Graceful stop of the serving side: calls in flight finish. */
  stopServer(): Promise<void>;
  close(): Promise<void>;
}

export interface Transport {
  name: string;
  start(services: Publishable[], interceptors: NodeInterceptors): Promise<Subject>;
  /** A payload this transport refuses with RESOURCE_EXHAUSTED, or why it has no limit of its own. */
  oversized: number | { skip: string };
  /** Does the caller's cancel reach the handler? Otherwise why not (its signal fires at the deadline). */
  cancelReachesHandler: true | { skip: string };
  /** The code for a service nobody serves, where the wire cannot say NOT_FOUND (and why). */
  unknownService?: { code: ErrorCode; why: string };
}

/** The codes every transport answers with for names nobody serves. */
export const UNKNOWN_SERVICE: ErrorCode = 'NOT_FOUND';
export const UNKNOWN_METHOD: ErrorCode = 'UNIMPLEMENTED';

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
};

const rejection = async (p: Promise<unknown>): Promise<MeshError> => {
  try {
    await p;
  } catch (err) {
    return err as MeshError;
  }
  throw new Error('expected the call to fail');
};

export function conformance(transport: Transport): void {
  describe(`conformance: ${transport.name}`, () => {
    let subject: Subject;
    const clientSaw: Array<{ method: string; ok: boolean; ms: number }> = [];
    const serverSaw: Array<{ method: string; code?: string; result?: unknown }> = [];
    // The server's interceptors: refuse `forbidden`, add metadata, observe every outcome.
    const guard: ServerInterceptor = async (ctx, next) => {
      if (ctx.method === 'forbidden') throw new MeshError('PERMISSION_DENIED', 'forbidden by an interceptor');
      ctx.metadata['x-server'] = 'added';
      return next();
    };
    const observe: ServerInterceptor = async (ctx, next) => {
      try {
        const result = await next();
        serverSaw.push({ method: ctx.method, result });
        return result;
      } catch (err) {
        serverSaw.push({ method: ctx.method, code: MeshError.from(err).code });
        throw err;
      }
    };
    // The caller's: add metadata, time every call, refuse a target locally.
    const tag: ClientInterceptor = async (call, next) => {
      if (call.target.method === 'never') throw new MeshError('FAILED_PRECONDITION', 'refused before sending');
      call.metadata['x-client'] = 'added';
      const start = performance.now();
      try {
        const out = await next();
        clientSaw.push({ method: call.target.method, ok: true, ms: performance.now() - start });
        return out;
      } catch (err) {
        clientSaw.push({ method: call.target.method, ok: false, ms: performance.now() - start });
        throw err;
      }
    };

    beforeAll(async () => {
      subject = await transport.start([probeHandler()], { server: [observe, guard], client: [tag] });
    }, 30_000);
    afterAll(async () => {
      await subject?.close();
    });

    const client = () => createClient(probeSpec, subject.caller);

    it('a typed call returns what the handler returned', async () => {
      expect(await client().greet('Max')).toBe('Hello, Max');
    });

    it('bad named arguments are INVALID_ARGUMENT with the problems', async () => {
      const err = await rejection(subject.caller.call({ service: 'probe', method: 'greet' }, Buffer.from('{"name":5}'), { codec: 'json' }));
      expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', details: { problems: [{ path: 'name', expected: 'string', got: 'number' }] } });
    });

    it('an unknown service and an unknown method have their codes', async () => {
      const svc = await rejection(subject.caller.call({ service: 'nobody', method: 'x' }, Buffer.from('{}'), { codec: 'json', timeout: 3000 }));
      expect(svc.code).toBe(transport.unknownService?.code ?? UNKNOWN_SERVICE);
      const method = await rejection(subject.caller.call({ service: 'probe', method: 'nothing' }, Buffer.from('{}'), { codec: 'json' }));
      expect(method.code).toBe(UNKNOWN_METHOD);
    });

    it('a handler error keeps its code, message, details and the name of what was thrown', async () => {
      const coded = await rejection(client().fail('FAILED_PRECONDITION', 'not now'));
      expect(coded).toBeInstanceOf(MeshError);
      expect(coded).toMatchObject({ code: 'FAILED_PRECONDITION', message: 'not now', details: { why: 'conformance' } });
      const thrown = await rejection(client().crash());
      expect(thrown).toMatchObject({ code: 'UNKNOWN', message: 'x is undefined', remoteName: 'TypeError' });
    });

    it("a passed deadline fails the call with DEADLINE_EXCEEDED and fires the handler's signal", async () => {
      const id = `deadline-${transport.name}`;
      const started = Date.now();
      const err = await rejection(client().with({ timeout: 300 }).waitForAbort(id));
      expect(err.code).toBe('DEADLINE_EXCEEDED');
      expect(Date.now() - started).toBeLessThan(2500);
      await until(() => seen.aborts.has(id));
      expect(seen.aborts.get(id)).toBe('DEADLINE_EXCEEDED');
    });

    it("cancelling fails the call with CANCELLED at once and reaches the handler's signal", async () => {
      const id = `cancel-${transport.name}`;
      const abort = new AbortController();
      const call = client().with({ signal: abort.signal, timeout: 1500 }).waitForAbort(id);
      setTimeout(() => abort.abort(), 150);
      const started = Date.now();
      const err = await rejection(call);
      expect(err.code).toBe('CANCELLED');
      expect(Date.now() - started).toBeLessThan(1000);
      await until(() => seen.aborts.has(id));
      // Without a cancel on the wire the handler learns at its deadline instead.
      expect(seen.aborts.get(id)).toBe(transport.cancelReachesHandler === true ? 'CANCELLED' : 'DEADLINE_EXCEEDED');
    });

    it('metadata goes from the caller and its interceptors to the handler, and interceptors see the outcome', async () => {
      const md = await client().with({ metadata: { 'x-tenant': 'acme' } }).metadata();
      expect(md).toMatchObject({ 'x-tenant': 'acme', 'x-client': 'added', 'x-server': 'added' });
      expect(serverSaw).toContainEqual({ method: 'metadata', result: expect.anything() });
      expect(clientSaw.some((c) => c.method === 'metadata' && c.ok && c.ms >= 0)).toBe(true);
    });

    it('an interceptor refuses a call with its MeshError, and the handler never runs', async () => {
      const ran = seen.forbiddenRan;
      expect(await rejection(client().forbidden())).toMatchObject({ code: 'PERMISSION_DENIED', message: 'forbidden by an interceptor' });
      expect(seen.forbiddenRan).toBe(ran);
      expect(serverSaw).toContainEqual({ method: 'forbidden', code: 'PERMISSION_DENIED' });
      const local = await rejection(subject.caller.call({ service: 'probe', method: 'never' }, Buffer.from('{}')));
      expect(local.code).toBe('FAILED_PRECONDITION');
      expect(serverSaw.some((s) => s.method === 'never')).toBe(false);
    });

    it.skipIf(typeof transport.oversized !== 'number')(`an oversized payload is RESOURCE_EXHAUSTED${typeof transport.oversized === 'number' ? '' : ` (skipped: ${transport.oversized.skip})`}`, async () => {
      const err = await rejection(client().with({ timeout: 5000 }).size('x'.repeat(transport.oversized as number)));
      expect(err.code).toBe('RESOURCE_EXHAUSTED');
      expect(await client().size('small')).toBe(5);
    });

    it('a graceful stop finishes every call a handler had started', async () => {
      const own = await transport.start([probeHandler()], {});
      try {
        const c = createClient(probeSpec, own.caller);
        expect(await c.greet('warm')).toBe('Hello, warm');
        const before = seen.sleepsStarted;
        const calls = Array.from({ length: 5 }, (_, i) => c.with({ timeout: 2500 }).sleep(300 + 20 * i));
        await until(() => seen.sleepsStarted - before === 5, 250);
        const started = seen.sleepsStarted - before;
        await own.stopServer();
        const settled = await Promise.allSettled(calls);
        // A queue may hand a message it had not delivered yet to the next consumer instead.
        expect(started).toBeGreaterThan(0);
        expect(settled.filter((s) => s.status === 'fulfilled').length).toBeGreaterThanOrEqual(started);
        for (const [i, s] of settled.entries()) if (s.status === 'fulfilled') expect(s.value).toBe(300 + 20 * i);
      } finally {
        await own.close();
      }
    }, 20_000);
  });
}
