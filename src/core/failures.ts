/**
 * Named errors: every failure meshrpc raises is defined once, with its code and its message
 * template, so a deadline or an unknown service reads the same whichever transport carried the
 * call (Fastify's lib/errors.js is the model). Use `Failures.noLiveInstance({ service })`;
 * options (`cause`, `details`, `notProcessed`) go second and win over the name's defaults.
 * The definitions live by area in core/failures/; this is the one object callers import.
 * What a handler throws is its own.
 */
import { AccessFailures } from './failures/access.js';
import { CallFailures } from './failures/call.js';
import { ConfigFailures } from './failures/config.js';
import { GatewayFailures } from './failures/gateway.js';
import { LinkFailures } from './failures/link.js';
import { SecurityFailures } from './failures/security.js';
import { TransportFailures } from './failures/transport.js';

export type { NamedError } from './failures/named.js';

/** Each area by itself, so a test can check that no name is defined twice. */
export const FailureAreas = {
  call: CallFailures,
  link: LinkFailures,
  config: ConfigFailures,
  security: SecurityFailures,
  access: AccessFailures,
  gateway: GatewayFailures,
  transport: TransportFailures,
} as const;

export const Failures = {
  ...CallFailures,
  ...LinkFailures,
  ...ConfigFailures,
  ...SecurityFailures,
  ...AccessFailures,
  ...GatewayFailures,
  ...TransportFailures,
} as const;
