import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createClient,
  createHandler,
  currentContext,
  defineService,
  LocalCaller,
  MeshError,
  type Client,
} from '../../src/index.js';
import { jsonCodec, msgpackCodec } from '../../src/core/codec.js';
import { CallContext } from '../../src/core/context.js';
import { Dispatcher } from '../../src/core/endpoint.js';
import { greeterHandler } from '../../examples/greeter/greeter.mesh.js';
import { Greeter } from '../../examples/greeter/service.js';

interface Calc {
  add(a: number, b: number): number;
  fail(kind: string): Promise<void>;
  whoami(): Promise<string>;
}

const calcSpec = defineService<Calc>('calc', { add: ['a', 'b'], fail: ['kind'], whoami: [] });

class CalcImpl implements Calc {
  add(a: number, b: number) {
    return a + b;
  }
  async fail(kind: string) {
    if (kind === 'type') throw new TypeError('bad type');
    throw new MeshError('FAILED_PRECONDITION', 'not now', { details: { retryIn: 5 } });
  }
  async whoami() {
    return currentContext()?.metadata.user ?? 'nobody';
  }
}

function setup(codec: 'json' | 'msgpack' = 'json') {
  const local = new LocalCaller(undefined, codec);
  const handler = createHandler(calcSpec, new CalcImpl());
  local.dispatcher.register(handler.info, handler.endpoint);
  return createClient(calcSpec, local);
}

describe('typed handler and client over the local caller', () => {
  it('has the interface shape with promised results', () => {
    const client = setup();
    expectTypeOf(client.add).toEqualTypeOf<(a: number, b: number) => Promise<number>>();
    expectTypeOf(client).toMatchTypeOf<Client<Calc>>();
  });

  for (const codec of ['json', 'msgpack'] as const) {
    it(`calls methods with named arguments (${codec})`, async () => {
      expect(await setup(codec).add(2, 3)).toBe(5);
    });
  }

  it('keeps code, message, name and details of a thrown error', async () => {
    const client = setup();
    await expect(client.fail('type')).rejects.toMatchObject({ code: 'UNKNOWN', message: 'bad type', remoteName: 'TypeError' });
    await expect(client.fail('x')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', details: { retryIn: 5 } });
  });

  it('passes metadata into the handler context', async () => {
    expect(await setup().with({ metadata: { user: 'ada' } }).whoami()).toBe('ada');
  });

  it('rejects a call whose deadline has passed', async () => {
    await expect(setup().with({ deadline: Date.now() - 1 }).add(1, 1)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });
});

describe('dispatching decoded arguments (Dispatcher.dispatchValue)', () => {
  const dispatcher = new Dispatcher();
  const greeter = greeterHandler(new Greeter());
  dispatcher.register(greeter.info, greeter.endpoint);
  const calc = createHandler(calcSpec, new CalcImpl());
  dispatcher.register(calc.info, calc.endpoint);
  // A byte-level endpoint: it only sees bytes in the call's codec.
  dispatcher.register({ namespace: 'default', name: 'bytes' }, {
    handle: (ctx, payload) => ctx.codec.encode({ got: ctx.codec.decode(payload), codec: ctx.codec.name }),
  });
  const ctx = (service: string, method: string, extra: Partial<ConstructorParameters<typeof CallContext>[0]> = {}) =>
    new CallContext({ service, method, ...extra });

  it('runs a typed method on the arguments as they are, validated, with the context current', async () => {
    expect(await dispatcher.dispatchValue(ctx('greeter', 'greet'), { name: 'Max' })).toBe('Hello, Max');
    expect(await dispatcher.dispatchValue(ctx('calc', 'whoami', { metadata: { user: 'ada' } }), {})).toBe('ada');
    await expect(dispatcher.dispatchValue(ctx('greeter', 'greet'), { name: 7 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { problems: [{ path: 'name', expected: 'string' }] },
    });
  });

  it('answers unknown services and methods with their codes', async () => {
    await expect(dispatcher.dispatchValue(ctx('nobody', 'x'), {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(dispatcher.dispatchValue(ctx('greeter', 'nope'), {})).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
  });

  it('encodes for a byte-level endpoint with the call codec and decodes its reply', async () => {
    for (const codec of [jsonCodec, msgpackCodec]) {
      expect(await dispatcher.dispatchValue(ctx('bytes', '', { codec }), { a: 1 })).toEqual({ got: { a: 1 }, codec: codec.name });
    }
  });
});
