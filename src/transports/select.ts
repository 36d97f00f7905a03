/**
 * One setting picks the mesh engine: MESHRPC_TRANSPORT=nats://host:port runs services, clients
 * and the gateway over NATS (NatsMesh); unset or "mesh" uses the built-in TCP mesh. The built-in
 * Mesh is imported lazily so this module does not load it when NATS is chosen (and vice versa).
 * MESHRPC_NATS_PREFIX (default "meshrpc") keeps clusters sharing one NATS server apart, as
 * cluster tags do on the built-in mesh. NATS's TLS and credentials are NatsMesh's own settings
 * (nats/security.ts), read from the `nats` options or MESHRPC_NATS_* variables.
 */
import type { CallOptions, CallTarget } from '../core/caller.js';
import type { CodecName } from '../core/codec.js';
import type { MeshNode } from '../core/node.js';
import { Failures } from '../core/failures.js';
import type { OpenedStream, StreamEndpoint } from '../mesh/mesh.js';
import type { MeshOptions } from '../mesh/options.js';
import type { NatsSecuritySettings } from './nats/settings.js';

export interface CreateMeshOptions extends MeshOptions {
  /** Overrides MESHRPC_TRANSPORT: "mesh", or a nats:// URL (comma-separated for several). */
  transport?: string;
  /**
   * Options only the NATS engine reads: its tuning, and TLS and authentication (`tls`, `user` /
   * `pass`, `token`, `creds`, `nkey`), which otherwise come from MESHRPC_NATS_TLS_CA/_CERT/_KEY,
   * MESHRPC_NATS_TOKEN, _USER/_PASSWORD, _CREDS and _NKEY (docs/SECURITY.md).
   */
  // Only plain options here (not `connection`): the root entry's types must not pull in the NATS
  // client's declarations, which a consumer would then type-check (skipLibCheck: false).
  nats?: NatsSecuritySettings & {
    /** Subject prefix. Default "meshrpc". */
    prefix?: string;
    /** How often this node announces its services, in ms. Default 1000. */
    announceInterval?: number;
    /** How long close() waits for in-flight calls, in ms. Default 10 000. */
    drainTimeout?: number;
  };
  codec?: CodecName;
}

/**
 * A node from createMesh: what both engines offer beyond MeshNode, so code written against it
 * (publishing an HTTP handler, the gateway forwarding to one) runs unchanged on either.
 */
export interface CreatedMesh extends MeshNode {
  /** The built-in mesh's listen address, or the NATS server a NatsMesh is connected to. */
  readonly address: string | undefined;
  /** Publish a byte-stream endpoint (publishHttpHandler uses it). */
  publishStream(name: string, endpoint: StreamEndpoint, namespace?: string): this;
  /** Open a byte stream to one instance of a service's stream endpoint (the gateway's HTTP forwarding). */
  openStream(target: CallTarget, head: Uint8Array, options?: CallOptions): OpenedStream;
}

export type TransportKind = { kind: 'mesh' } | { kind: 'nats'; servers: string[] };

/** Parse a MESHRPC_TRANSPORT value. */
export function parseTransport(value: string | undefined): TransportKind {
  const v = (value ?? '').trim();
  if (v === '' || v === 'mesh') return { kind: 'mesh' };
  const urls = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (urls.every((u) => /^nats:\/\/[^\s]+$/.test(u))) return { kind: 'nats', servers: urls };
  throw Failures.invalidTransport({ value: v });
}

export async function createMesh(options: CreateMeshOptions, env: NodeJS.ProcessEnv = process.env): Promise<CreatedMesh> {
  const t = parseTransport(options.transport ?? env.MESHRPC_TRANSPORT);
  if (t.kind === 'nats') {
    const { NatsMesh } = await import('./nats/mesh.js');
    const prefix = options.nats?.prefix ?? (env.MESHRPC_NATS_PREFIX?.trim() || undefined);
    if (prefix !== undefined && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) {
      throw Failures.invalidNatsPrefix({ prefix });
    }
    return new NatsMesh({ ...options.nats, prefix, name: options.name, servers: t.servers, codec: options.codec, defaultTimeout: options.defaultTimeout });
  }
  const { Mesh } = await import('../mesh/mesh.js');
  const { transport: _t, nats: _n, ...meshOptions } = options;
  return new Mesh(meshOptions);
}
