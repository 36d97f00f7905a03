/**
 * Mesh options and their defaults. Everything has an environment variable for containers
 * (MESHRPC_CLUSTER_NODES, MESHRPC_LISTEN_ADDR, MESHRPC_CLUSTER_TAGNAME, MESHRPC_ADVERTISE_ADDR, and
 * the link limits MESHRPC_HANDSHAKE_TIMEOUT, MESHRPC_MAX_CONNECTIONS, MESHRPC_LINK_BUFFER_*);
 * options given in code win.
 */
import type { CodecName } from '../core/codec.js';
import { policyFromEnv, type AuthorizationPolicy } from '../security/authorize.js';
import type { TlsFiles } from '../security/material.js';
import type { Strategy, StrategyName } from '../pipeline/balancer.js';
import { DEFAULT_TIMEOUT } from '../pipeline/outbound.js';
import { DEFAULT_STOP_TIMEOUT } from '../pipeline/server.js';
import { envList, envNumber, splitList } from './config.js';
import { defaultLogger, type Logger } from './logger.js';

export interface MeshOptions {
  /** Logical node name, e.g. "greeter". */
  name: string;
  /** Seeds to join through: "host[:port]" (default port 11999). Default: MESHRPC_CLUSTER_NODES. */
  nodes?: string | readonly string[];
  /** Where to accept peers when `listen()` is called without an address. Default: MESHRPC_LISTEN_ADDR. */
  listen?: string | number;
  /** Host (or host:port) other nodes should dial, when the listen address is not it. Default: MESHRPC_ADVERTISE_ADDR, else the address peers see. */
  advertise?: string;
  /** Cluster tags: nodes whose tags differ never see each other. Default: MESHRPC_CLUSTER_TAGNAME. */
  tags?: string | readonly string[];
  /** Codec for typed calls from this node. Default: json. */
  codec?: CodecName;
  /** Largest frame body accepted and sent. Default: 4 MiB. */
  maxFrameSize?: number;
  /** Deadline of calls that set none. Default: 30 s. */
  defaultTimeout?: number;
  /** Idle time after which a PING is sent. Default: 1 s. */
  heartbeatInterval?: number;
  /** Silence after which a peer is declared dead. Default: 3 s. */
  heartbeatTimeout?: number;
  /**
   * Shortest silence of a link with calls outstanding after which it is pinged and marked
   * suspect (no new calls routed to it until bytes arrive); 4 × the link's smoothed ping round
   * trip when that is longer, at most heartbeatTimeout. Default: 150 ms.
   */
  suspectAfter?: number;
  /** Time a new link has to complete its HELLO exchange. Default: MESHRPC_HANDSHAKE_TIMEOUT, else 5 s. */
  handshakeTimeout?: number;
  /** Accepted connections at once (more are refused, logged once per burst). Default: MESHRPC_MAX_CONNECTIONS, else 1024. */
  maxConnections?: number;
  /**
   * Bytes queued to a peer (not yet taken by its socket) above which this node stops reading
   * from that peer until they drained: a peer that does not read its replies stops being
   * served. Default: MESHRPC_LINK_BUFFER_HIGH, else 8 MiB.
   */
  linkBufferHigh?: number;
  /** Bytes queued to a peer at which its link is closed (logged). Default: MESHRPC_LINK_BUFFER_LIMIT, else 64 MiB. */
  linkBufferLimit?: number;
  /** How long close() waits for in-flight calls. Default: 10 s. */
  drainTimeout?: number;
  /** How often seed host names are resolved again. Default: 5 s. */
  resolveInterval?: number;
  /** Connect timeout per dial. Default: 3 s. */
  connectTimeout?: number;
  /** Balancing for calls without a sticky key. Default: round-robin. */
  strategy?: StrategyName | Strategy;
  logger?: Logger;
  /**
   * Mutual TLS on every link: PEM files of the CA bundle, this node's certificate and its key.
   * Default: MESHRPC_TLS_CA, MESHRPC_TLS_CERT, MESHRPC_TLS_KEY. Without them a node makes only
   * loopback links (docs/SECURITY.md).
   */
  tls?: Partial<TlsFiles>;
  /**
   * A secret all nodes share, instead of certificates: mutual TLS under a CA derived from it
   * (at least 32 characters, e.g. `openssl rand -base64 32`). Default: MESHRPC_CLUSTER_SECRET.
   */
  clusterSecret?: string;
  /** Plaintext links beyond loopback, knowingly. Default: MESHRPC_INSECURE=1. */
  insecure?: boolean;
  /**
   * Which identities may call which services of this node (needs TLS), e.g.
   * `{ greeter: ['gateway', 'billing'] }`; services it does not name stay open to any
   * authenticated caller. Default: MESHRPC_AUTHORIZATION (JSON, or a JSON file's path); none.
   */
  authorization?: AuthorizationPolicy;
}

export interface ResolvedOptions {
  name: string;
  seeds: string[];
  listen: string | number | undefined;
  advertise: string | undefined;
  tags: string[];
  codec: CodecName;
  maxFrameSize: number;
  defaultTimeout: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  suspectAfter: number;
  handshakeTimeout: number;
  maxConnections: number;
  linkBufferHigh: number;
  linkBufferLimit: number;
  drainTimeout: number;
  resolveInterval: number;
  connectTimeout: number;
  strategy: StrategyName | Strategy | undefined;
  logger: Logger;
  tls: Partial<TlsFiles> | undefined;
  clusterSecret: string | undefined;
  insecure: boolean | undefined;
  authorization: AuthorizationPolicy | undefined;
}

export function resolveOptions(o: MeshOptions, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const heartbeatInterval = o.heartbeatInterval ?? 1000;
  return {
    name: o.name,
    seeds: o.nodes !== undefined ? splitList(o.nodes) : envList('MESHRPC_CLUSTER_NODES', env),
    listen: o.listen ?? (env.MESHRPC_LISTEN_ADDR || undefined),
    advertise: o.advertise ?? (env.MESHRPC_ADVERTISE_ADDR || undefined),
    tags: (o.tags !== undefined ? splitList(o.tags) : envList('MESHRPC_CLUSTER_TAGNAME', env)).sort(),
    codec: o.codec ?? 'json',
    maxFrameSize: o.maxFrameSize ?? 4 * 1024 * 1024,
    defaultTimeout: o.defaultTimeout ?? DEFAULT_TIMEOUT,
    heartbeatInterval,
    heartbeatTimeout: o.heartbeatTimeout ?? heartbeatInterval * 3,
    suspectAfter: o.suspectAfter ?? 150,
    handshakeTimeout: o.handshakeTimeout ?? envNumber('MESHRPC_HANDSHAKE_TIMEOUT', env) ?? 5000,
    maxConnections: o.maxConnections ?? envNumber('MESHRPC_MAX_CONNECTIONS', env) ?? 1024,
    linkBufferHigh: o.linkBufferHigh ?? envNumber('MESHRPC_LINK_BUFFER_HIGH', env) ?? 8 * 1024 * 1024,
    linkBufferLimit: o.linkBufferLimit ?? envNumber('MESHRPC_LINK_BUFFER_LIMIT', env) ?? 64 * 1024 * 1024,
    drainTimeout: o.drainTimeout ?? DEFAULT_STOP_TIMEOUT,
    resolveInterval: o.resolveInterval ?? 5000,
    connectTimeout: o.connectTimeout ?? 3000,
    strategy: o.strategy,
    logger: o.logger ?? defaultLogger(`meshrpc:${o.name}`),
    tls: o.tls,
    clusterSecret: o.clusterSecret,
    insecure: o.insecure,
    authorization: o.authorization ?? policyFromEnv(env.MESHRPC_AUTHORIZATION),
  };
}
