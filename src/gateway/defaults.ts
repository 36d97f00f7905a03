/**
 * The gateway's defaults, in a module of their own so the command line can show them in
 * `meshrpc gateway --help` without loading Fastify.
 */
export const DEFAULT_HTTP_PORT = 8282;
/** Largest RPC request body, bytes. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Deadline of a call whose request sets none, ms. */
export const DEFAULT_CALL_TIMEOUT = 30_000;
