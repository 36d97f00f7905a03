/**
 * The type corpus over real calls: every case's valid values round-trip through the generated
 * client, validators and wire conversions (JSON and MessagePack, in-process and over two mesh
 * nodes on 127.0.0.1), and every invalid wire value is refused with INVALID_ARGUMENT listing
 * each problem as { path, expected, got }.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCaller, Mesh, MeshError, codecByName, type Caller, type CodecName } from '../../src/index.js';
import { generate } from '../../src/codegen/index.js';
import { Microservice } from '../../src/microservice/index.js';
import { GrpcProtoClient, GrpcServer } from '../../src/transports/grpc/index.js';
import { corpusClient, corpusHandler, corpusSpec, mathClient, mathHandler, type CorpusClient } from '../fixtures/codegen/corpus/types.mesh.js';
import type { CorpusService, MathService } from '../fixtures/codegen/corpus/types.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Echo every argument back: the result then goes through the result conversions too. */
const echo = new Proxy({} as CorpusService, {
  get: (_t, name) => (name === 'many' ? async (a: number, b: string[]) => a + b.length : name === 'nothing' ? async () => undefined : async (...args: unknown[]) => args[0]),
});
const math: MathService = { add: (a, b) => a + b };

const address = { street: '1 Mesh Road', city: 'Node', lines: ['a', 'b'] };

/** [method, valid values (sent as the only argument)] */
const valid: [keyof CorpusService, unknown[]][] = [
  ['str', ['', 'hello']],
  ['num', [0, -1.5, 1e300]],
  ['bool', [true, false]],
  ['nul', [null]],
  ['literal', ['on']],
  ['literals', ['a', 'b', 1, true]],
  ['color', ['red', 'green']],
  ['level', [0, 10]],
  ['shape', [{ kind: 'circle', radius: 1 }, { kind: 'square', side: 2 }]],
  ['list', [[], ['x', 'y']]],
  ['tuple', [['a', 1], ['a', 1, true]]],
  ['record', [{}, { a: 1, b: 2 }]],
  ['indexed', [{ fixed: 1 }, { fixed: 1, other: 2 }]],
  ['address', [address, { ...address, zip: '12345' }]],
  ['page', [{ items: [address], total: 1, next: null }, { items: [], total: 0, next: 'cursor' }]],
  ['tree', [{ value: 1, children: [{ value: 2, children: [] }] }]],
  ['json', [null, 1, 'x', [1, ['a', { b: true }]], { a: { b: [null] } }]],
  ['event', [{ at: new Date('2024-05-01T12:00:00.000Z'), payload: new Uint8Array([0, 1, 255]), big: 12345678901234567890n, byName: { x: -1n } }, { at: new Date(0), payload: new Uint8Array(), big: 0n, seen: [new Date(1)], byName: {} }]],
  ['date', [new Date('2000-01-01T00:00:00.000Z')]],
  ['bytes', [new Uint8Array([1, 2, 3])]],
  ['big', [-(2n ** 70n)]],
  ['maybeDate', [null, new Date(86_400_000)]],
  ['timed', [{ kind: 'at', at: new Date(5) }, { kind: 'never' }]],
  ['anything', [1, 'x', { deep: [1] }]],
  ['whatever', [[1, 2]]],
  ['hrtime', [[1, 2]]],
  ['status', [{ code: 0 }, { code: 2, message: 'boom' }]],
  ['brand', ['user-1']],
  ['labelled', [{ ...address, label: 'home' }]],
  ['frozen', [address]],
  ['maybe', [undefined, 'x']],
];

/** [method, wire arguments object, expected problems (subset match, in order)] */
const invalid: [keyof CorpusService, Record<string, unknown>, { path: string; expected?: string; got?: string }[]][] = [
  ['str', {}, [{ path: 'v', expected: 'string', got: 'undefined' }]],
  ['str', { v: 1 }, [{ path: 'v', expected: 'string', got: 'number 1' }]],
  ['num', { v: '1' }, [{ path: 'v', expected: 'number', got: 'string "1"' }]],
  ['bool', { v: 0 }, [{ path: 'v', expected: 'boolean' }]],
  ['nul', { v: 'null' }, [{ path: 'v', expected: 'null' }]],
  ['optional', { a: 'x', b: 'y' }, [{ path: 'b', expected: 'number' }]],
  ['literal', { v: 'off' }, [{ path: 'v', expected: '"on"', got: 'string "off"' }]],
  ['literals', { v: false }, [{ path: 'v', expected: 'true | "a" | "b" | 1' }]],
  ['color', { v: 'blue' }, [{ path: 'v', expected: '"red" | "green"', got: 'string "blue"' }]],
  ['level', { v: 1 }, [{ path: 'v', expected: '0 | 10' }]],
  ['shape', { v: { kind: 'triangle' } }, [{ path: 'v.kind', expected: '"circle" | "square"' }]],
  ['shape', { v: { kind: 'circle', radius: 'big' } }, [{ path: 'v.radius', expected: 'number' }]],
  ['list', { v: ['a', 2, 'c', null] }, [{ path: 'v[1]', expected: 'string' }, { path: 'v[3]', expected: 'string', got: 'null' }]],
  ['tuple', { v: ['a'] }, [{ path: 'v' }]],
  ['tuple', { v: [1, 'a'] }, [{ path: 'v[0]', expected: 'string' }, { path: 'v[1]', expected: 'number' }]],
  ['record', { v: { a: 'x' } }, [{ path: 'v.a', expected: 'number' }]],
  ['record', { v: [] }, [{ path: 'v', got: 'array' }]],
  ['indexed', { v: { other: 'x' } }, [{ path: 'v.fixed', expected: 'number' }, { path: 'v.other', expected: 'number' }]],
  ['address', { v: { street: 1, lines: 'x' } }, [{ path: 'v.street' }, { path: 'v.city', got: 'undefined' }, { path: 'v.lines', expected: 'string[]' }]],
  ['page', { v: { items: [{ ...address, city: 2 }], total: 1, next: 3 } }, [{ path: 'v.items[0].city' }, { path: 'v.next', expected: 'null | string' }]],
  ['tree', { v: { value: 1, children: [{ value: 'x', children: [] }] } }, [{ path: 'v.children[0].value', expected: 'number' }]],
  ['event', { v: { at: 'yesterday', payload: 'not base64!', big: '1.5', byName: { x: 'y' } } }, [{ path: 'v.at', expected: 'Date (ISO-8601 string)' }, { path: 'v.payload' }, { path: 'v.big' }, { path: 'v.byName.x' }]],
  ['date', { v: '2024-13-45T99:00:00Z' }, [{ path: 'v' }]],
  ['date', { v: 1714564800000 }, [{ path: 'v', got: 'number 1714564800000' }]],
  ['big', { v: 12 }, [{ path: 'v', expected: 'bigint (decimal string)' }]],
  ['timed', { v: { kind: 'at' } }, [{ path: 'v.at' }]],
  ['hrtime', { v: [1, 2, 3] }, [{ path: 'v' }]],
  ['status', { v: { code: 'OK' } }, [{ path: 'v.code' }]],
  ['brand', { v: 5 }, [{ path: 'v', expected: 'string' }]],
  ['labelled', { v: address }, [{ path: 'v.label' }]],
  ['many', { a: 'x', b: [1], c: {} }, [{ path: 'a' }, { path: 'b[0]' }, { path: 'c.street' }, { path: 'c.city' }, { path: 'c.lines' }]],
];

interface Setup {
  caller: Caller;
  close(): Promise<void>;
}

async function localSetup(codec: CodecName): Promise<Setup> {
  const local = new LocalCaller(undefined, codec);
  for (const h of [corpusHandler(echo), mathHandler(math)]) local.dispatcher.register(h.info, h.endpoint);
  return { caller: local, close: async () => {} };
}

async function meshSetup(codec: CodecName): Promise<Setup> {
  const server = new Mesh({ name: 'corpus-server', nodes: [], codec });
  server.publish(corpusHandler(echo)).publish(mathHandler(math));
  await server.listen('127.0.0.1:0');
  const client = new Mesh({ name: 'corpus-client', nodes: [server.address!], codec });
  await client.listen();
  await client.waitFor(['corpus', 'math'], 10_000);
  return { caller: client, close: async () => void (await Promise.all([client.close(), server.close()])) };
}

describe('the committed corpus file is what the generator makes', () => {
  it('is fresh', () => {
    const { files } = generate({ root: repo, target: 'test/fixtures/codegen/corpus/types.ts' });
    expect(files).toHaveLength(1);
    expect(files[0].content).toBe(readFileSync(files[0].path, 'utf8'));
  });
});

const transports: [string, (codec: CodecName) => Promise<Setup>][] = [
  ['local', localSetup],
  ['mesh', meshSetup],
];

for (const [transport, setup] of transports) {
  for (const codecName of ['json', 'msgpack'] as const) {
    describe(`type corpus over ${transport} (${codecName})`, () => {
      let s: Setup;
      let client: CorpusClient;
      beforeAll(async () => {
        s = await setup(codecName);
        client = corpusClient(s.caller, { codec: codecName, timeout: 5_000 });
      });
      afterAll(async () => s?.close());

      it('round-trips every valid value', async () => {
        for (const [method, values] of valid) {
          for (const value of values) {
            const result = await (client[method] as (v: unknown) => Promise<unknown>)(value);
            expect(result, `${method}(${String(value)})`).toEqual(value);
          }
        }
        expect(await client.optional('x')).toBe('x');
        expect(await client.nothing()).toBeUndefined();
        expect(await client.many(1, ['a', 'b'], address)).toBe(3);
        expect(await mathClient(s.caller).add(2, 3)).toBe(5);
      });

      it('keeps the exact runtime types of Date, Uint8Array and bigint', async () => {
        const event = await client.event({ at: new Date(7), payload: new Uint8Array([9]), big: 1n, byName: { a: 2n } });
        expect(event.at).toBeInstanceOf(Date);
        expect(Object.getPrototypeOf(event.payload)).toBe(Uint8Array.prototype);
        expect(typeof event.big).toBe('bigint');
        expect(typeof event.byName.a).toBe('bigint');
      });

      it('refuses invalid arguments with every problem listed', async () => {
        const codec = codecByName(codecName);
        for (const [method, args, problems] of invalid) {
          const call = s.caller.call({ service: corpusSpec.name, method }, codec.encode(args), { codec: codecName, timeout: 5_000 });
          const err = await call.then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, `${method} ${JSON.stringify(args)}`).toBeInstanceOf(MeshError);
          expect((err as MeshError).code).toBe('INVALID_ARGUMENT');
          const got = ((err as MeshError).details as { problems: unknown[] }).problems;
          expect(got, `${method} ${JSON.stringify(args)}`).toMatchObject(problems);
          for (const p of got) expect(Object.keys(p as object).sort()).toEqual(['expected', 'got', 'path']);
        }
      });
    });
  }
}

/**
 * The same corpus over gRPC under the generated proto, as another language would call it: every
 * valid value crosses as proto messages (Timestamp, bytes, int64, Value, Struct, ListValue, maps,
 * optional fields) and must arrive as the same wire form a JSON caller sends. proto3 has one
 * "absent" for both `undefined` and `null`, so a `T | null` that is null comes back absent:
 * those values are the exception listed below.
 */
describe('type corpus over gRPC, under the generated proto', () => {
  let dir: string;
  let ms: Microservice;
  let grpc: GrpcProtoClient;
  let client: CorpusClient;
  beforeAll(async () => {
    const { files } = generate({ root: repo, target: 'test/fixtures/codegen/corpus/types.ts', proto: true });
    const proto = files.find((f) => f.path.endsWith('.proto'))!;
    dir = mkdtempSync(path.join(tmpdir(), 'meshrpc-corpus-'));
    const file = path.join(dir, 'types.proto');
    writeFileSync(file, proto.content);
    const server = new GrpcServer({ address: '127.0.0.1:0', protos: [file] });
    ms = new Microservice().registerServer('grpc', server);
    ms.publish(corpusHandler(echo)).publish(mathHandler(math));
    await ms.start();
    grpc = new GrpcProtoClient(`127.0.0.1:${server.port}`, file);
    client = corpusClient(grpc, { timeout: 5_000 });
  });
  afterAll(async () => {
    grpc?.close();
    await ms?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** What proto3 can carry of a valid value, or undefined where it cannot (tested below). */
  const overProto = (method: string, value: unknown): unknown => {
    if (value === null || (method === 'page' && (value as { next: unknown }).next === null)) return undefined; // null is absent
    if (method === 'big' && ((value as bigint) < -(2n ** 63n) || (value as bigint) > 2n ** 63n - 1n)) return undefined; // beyond int64
    if (method === 'event') {
      const e = value as { big: bigint; seen?: Date[] };
      if (e.big > 2n ** 63n - 1n) return undefined; // beyond int64
      return { seen: [], ...e }; // an absent repeated field is an empty one
    }
    return value;
  };

  it('round-trips every valid value proto3 can carry', async () => {
    let checked = 0;
    for (const [method, values] of valid) {
      for (const value of values) {
        const expected = overProto(method, value);
        if (expected === undefined && value !== undefined) continue;
        const result = await (client[method] as (v: unknown) => Promise<unknown>)(value);
        expect(result, `${method}(${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))})`).toEqual(expected);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(await client.optional('x')).toBe('x');
    expect(await client.optional('x', 2)).toBe('x');
    expect(await client.nothing()).toBeUndefined();
    expect(await client.many(1, ['a', 'b'], address)).toBe(3);
    expect(await mathClient(grpc).add(2, 3)).toBe(5);
  });

  it('keeps the exact runtime types of Date, Uint8Array and bigint', async () => {
    const event = await client.event({ at: new Date(7), payload: new Uint8Array([9]), big: -(2n ** 60n), byName: { a: 2n } });
    expect(event.at).toEqual(new Date(7));
    expect(Object.getPrototypeOf(event.payload)).toBe(Uint8Array.prototype);
    expect(event.big).toBe(-(2n ** 60n));
    expect(event.byName.a).toBe(2n);
  });

  it('refuses a bigint beyond 64 bits instead of wrapping it', async () => {
    const big = { at: new Date(0), payload: new Uint8Array(), big: 2n ** 63n, byName: {} };
    await expect(client.event(big)).rejects.toThrow(/int64 field "big": 9223372036854775808 does not fit in 64 bits/);
  });

  it('a null of a `T | null` arrives absent, which the handler refuses by name', async () => {
    await expect(client.maybeDate(null)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { problems: [{ path: 'v', got: 'undefined' }] } });
  });
});
