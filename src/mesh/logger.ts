/**
 * The mesh's logger: pino, quiet by default (warnings and errors only); MESHRPC_LOG_LEVEL or a
 * logger of your own in the options says otherwise. Lines written inside a traced call carry
 * its trace_id and span_id.
 */
import { pino, type Logger } from 'pino';
import { traceMixin } from '../observability/log.js';

export type { Logger };

export function defaultLogger(name: string): Logger {
  return pino({ name, level: process.env.MESHRPC_LOG_LEVEL ?? 'warn', mixin: traceMixin });
}
