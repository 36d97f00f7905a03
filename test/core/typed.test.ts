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
