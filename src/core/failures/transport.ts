/**
 * Failures of the engines under the other transports: NATS, RabbitMQ and Kafka (the brokers) and
 * gRPC. One name serves every broker where they fail the same way (closed, lost, unreachable, no
 * responders), so the words match whichever engine carries the call. `why` keeps the library's
 * own text where it is what the user needs to see. A refused login or client certificate and a
 * failed TLS handshake name the engine, the address and what to set.
 */
import { because, named } from './named.js';

export type Broker = 'NATS' | 'RabbitMQ' | 'Kafka';

export const TransportFailures = {
  // ---- a broker connection ----
  brokerClosed: named<{ broker: Broker }>('UNAVAILABLE', (p) => `the ${p.broker} connection is closed`, { notProcessed: true }),
  brokerUnreachable: named<{ broker: Broker; why?: string }>('UNAVAILABLE', (p) => `cannot connect to ${p.broker}${because(p.why)}`),
  brokerLost: named<{ broker: Broker; why?: string }>('UNAVAILABLE', (p) => `the ${p.broker} connection was lost${because(p.why)}`),
  consumerNotStarted: named<{ broker: Broker; why: string }>('UNAVAILABLE', (p) => `cannot start the ${p.broker} consumer${because(p.why)}`),
  noBrokers: named<{ broker: Broker; how: string }>('FAILED_PRECONDITION', (p) => `no ${p.broker} brokers: ${p.how}`),

  // ---- a call over a broker ----
  /** Nobody consumes where the call was sent (NATS "no responders", a RabbitMQ message returned unroutable). */
  noResponders: named<{ subject: string }>('UNAVAILABLE', (p) => `no instance is serving "${p.subject}"`, { notProcessed: true }),
  notAccepted: named<{ broker: Broker; why: string }>('UNAVAILABLE', (p) => `${p.broker} did not accept the message${because(p.why)}`),
  notConfirmed: named<{ broker: Broker }>('DEADLINE_EXCEEDED', (p) => `message not confirmed by ${p.broker} before the deadline`),
  overMaxPayload: named<{ why: string }>('RESOURCE_EXHAUSTED', (p) => `payload exceeds the NATS server's max_payload${because(p.why)}`, { notProcessed: true }),
  brokerPermissionDenied: named<{ broker: Broker; why: string }>('PERMISSION_DENIED', (p) => `${p.broker} denied permission${because(p.why)}`),
  brokerRejectedArgument: named<{ broker: Broker; why: string }>('INVALID_ARGUMENT', (p) => `${p.broker} rejected the request${because(p.why)}`),
  brokerRequestFailed: named<{ broker: Broker; why: string }>('UNAVAILABLE', (p) => `${p.broker} request failed${because(p.why)}`),
  missingHeader: named<{ header: string }>('INVALID_ARGUMENT', (p) => `message without a ${p.header} header`),

  // ---- Kafka's fixed topics ----
  topicsFixed: named('FAILED_PRECONDITION', () => 'Kafka topics are fixed once the consumer runs: register namespaces before start()'),
  nothingToConsume: named('FAILED_PRECONDITION', () => 'no namespaces registered: nothing to consume'),

  // ---- an engine's TLS and credentials (transports/engine-credentials.ts) ----
  engineSettingsInvalid: named<{ engine: string; problem: string }>('FAILED_PRECONDITION', (p) => `${p.engine} settings: ${p.problem}`),
  engineFileUnreadable: named<{ engine: string; what: string; file: string; setting: string; why: string }>(
    'FAILED_PRECONDITION',
    (p) => `cannot read the ${p.engine} ${p.what} ${p.file} (${p.setting})${because(p.why)}`,
  ),
  /** The server refused this client: its credentials, or its client certificate (a TLS alert). */
  engineRefusedClient: named<{ engine: string; address: string; why: string; hint: string }>(
    'UNAUTHENTICATED',
    (p) => `${p.engine} at ${p.address} refused this client (${p.why}): ${p.hint}`,
  ),
  /** This client could not complete TLS with the server (e.g. its certificate does not verify). */
  engineTlsFailed: named<{ engine: string; address: string; why: string; hint: string }>(
    'UNAVAILABLE',
    (p) => `TLS with ${p.engine} at ${p.address} failed (${p.why}): ${p.hint}`,
  ),

  // ---- gRPC ----
  noRpcInProtos: named<{ service: string; method: string }>('UNIMPLEMENTED', (p) => `no rpc for ${p.service}.${p.method} in the loaded protos`, { notProcessed: true }),
} as const;
