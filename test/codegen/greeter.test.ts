/**
 * The greeter example's generated file: a snapshot, freshness of the committed copies, and the
 * generated client and handler over a real call (strict type checks: strict.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { LocalCaller, MeshError } from '../../src/index.js';
import { generate, GENERATED_HEADER } from '../../src/codegen/index.js';
import { GreeterClient, greeterClient, greeterHandler, greeterSpec } from '../../examples/greeter/greeter.mesh.js';
import { Greeter, type GreeterService } from '../../examples/greeter/service.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

describe('generated greeter', () => {
  const { files } = generate({ root: repo, target: 'examples/greeter', proto: true });
  const ts = files.find((f) => f.path.endsWith('greeter.mesh.ts'))!;
  const proto = files.find((f) => f.path.endsWith('greeter.proto'))!;

  it('matches the snapshot', () => {
    expect(ts.content.startsWith(GENERATED_HEADER)).toBe(true);
    expect(ts.content).toMatchSnapshot();
    expect(proto.content).toMatchSnapshot();
  });

  it('is committed fresh (what `meshrpc expose --check` verifies in CI)', () => {
    expect(path.relative(repo, ts.path)).toBe(path.join('examples', 'greeter', 'greeter.mesh.ts'));
    expect(readFileSync(ts.path, 'utf8')).toBe(ts.content);
    expect(readFileSync(proto.path, 'utf8')).toBe(proto.content);
  });

  it('has a client that implements the interface', () => {
    expectTypeOf<GreeterClient>().toMatchTypeOf<GreeterService>();
    expectTypeOf(greeterClient).returns.toEqualTypeOf<GreeterClient>();
    expect(greeterSpec.name).toBe('greeter');
    expect(greeterSpec.contractHash).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.keys(greeterSpec.methods)).toEqual(['greet', 'sendPostcard']);
  });

  it('serves and calls through a real caller, refusing bad arguments with every problem', async () => {
    const local = new LocalCaller();
    const handler = greeterHandler(new Greeter());
    local.dispatcher.register(handler.info, handler.endpoint);
    expect(handler.info.contractHash).toBe(greeterSpec.contractHash);
    const client = greeterClient(local);
    expect(await client.greet('Max')).toBe('Hello, Max');
    expect(await client.with({ timeout: 1000 }).sendPostcard({ address: 'a', recipient: 'b', message: 'c' })).toEqual({ address: 'a', recipient: 'b', message: 'c' });
    const err = await (client.sendPostcard as (c: unknown) => Promise<unknown>)({ address: 1, message: 'x', pictureURL: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshError);
    expect((err as MeshError).code).toBe('INVALID_ARGUMENT');
    expect((err as MeshError).details).toEqual({
      problems: [
        { path: 'card.pictureURL', expected: 'string', got: 'boolean false' },
        { path: 'card.address', expected: 'string', got: 'number 1' },
        { path: 'card.recipient', expected: 'string', got: 'undefined' },
      ],
    });
  });

  it('changes the contract hash when the contract changes, not otherwise', async () => {
    const { contractHash } = await import('../../src/codegen/schema.js');
    const { sources } = generate({ root: repo, target: 'examples/greeter' });
    const service = sources[0].services[0];
    const same = contractHash({ ...service, doc: 'other docs' }, sources[0].defs);
    const changed = contractHash({ ...service, methods: service.methods.slice(0, 1) }, sources[0].defs);
    expect(same).toBe(greeterSpec.contractHash);
    expect(changed).not.toBe(greeterSpec.contractHash);
  });
});
