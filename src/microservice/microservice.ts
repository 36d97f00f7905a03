/**
 * The Microservice container (the seed framework's RegisterServer / Start / Stop): servers start
 * in registration order and stop in reverse; a failed start stops what already started and says
 * which server failed and why. `publish` puts a typed service (or any Publishable) onto every
 * registered server in one call; `registerService` does the same for byte-level endpoints.
 */
import type { Endpoint, ServiceInfo } from '../core/endpoint.js';
import { MeshError } from '../core/errors.js';
import type { Publishable } from '../core/node.js';
import { Failures } from '../core/failures.js';
import { DEFAULT_STOP_TIMEOUT, type EndpointFn, type Server, type ServerType } from './server.js';
import { timerDelay } from '../core/timers.js';

export interface MicroserviceOptions {
  name?: string;
  /** Per-server graceful drain bound on stop(). Default 10 s. */
  stopTimeoutMs?: number;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Microservice {
  readonly name: string;
  readonly #servers: Array<{ type: ServerType; server: Server }> = [];
  readonly #stopTimeout: number;
  readonly #log: NonNullable<MicroserviceOptions['log']>;
  #state: State = 'new';
  #stopping: Promise<void> | undefined;

  constructor(options: MicroserviceOptions = {}) {
    this.name = options.name ?? 'microservice';
    this.#stopTimeout = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT;
    this.#log = options.log ?? (() => {});
  }

  get state(): State {
    return this.#state;
  }

  registerServer(type: ServerType, server: Server): this {
    if (this.#state !== 'new') throw Failures.serverAfterStart({ type });
    if (this.#servers.some((s) => s.type === type)) throw Failures.serverTypeExists({ type });
    this.#servers.push({ type, server });
    return this;
  }

  server<S extends Server = Server>(type: ServerType): S | undefined {
    return this.#servers.find((s) => s.type === type)?.server as S | undefined;
  }

  get serverTypes(): ServerType[] {
    return this.#servers.map((s) => s.type);
  }

  /** Register a namespace on every server (or only on the named ones). */
  registerNamespace(namespace: string, only?: readonly ServerType[]): this {
    for (const { server } of this.#pick(only)) server.registerNamespace(namespace);
    return this;
  }

  /** Register a byte-level endpoint on every server (or only on the named ones). */
  registerService(namespace: string, service: string, endpoint: Endpoint | EndpointFn, only?: readonly ServerType[]): this {
    for (const { server } of this.#pick(only)) server.registerService(namespace, service, endpoint);
    return this;
  }

  /**
   * Publish a typed service (createHandler / generated handler) on every server: its namespace
   * is registered where missing, and its method list travels along for protos and discovery.
   */
  publish(service: Publishable, only?: readonly ServerType[]): this {
    const info: ServiceInfo = service.info;
    for (const { server } of this.#pick(only)) {
      server.registerNamespace(info.namespace);
      server.registerService(info.namespace, info.name, service.endpoint, info);
    }
    return this;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw Failures.startInState({ state: this.#state });
    if (this.#servers.length === 0) throw Failures.noServers();
    this.#state = 'starting';
    const started: Array<{ type: ServerType; server: Server }> = [];
    for (const entry of this.#servers) {
      try {
        await entry.server.start();
        started.push(entry);
        this.#log('info', `server "${entry.type}" started`);
      } catch (err) {
        const cause = err instanceof Error ? err.message : String(err);
        this.#log('error', `server "${entry.type}" failed to start: ${cause}`);
        await this.#stopAll(started.reverse());
        this.#state = 'stopped';
        throw Failures.serverFailedToStart({ type: entry.type, why: cause, stopped: started.map((s) => s.type) }, { cause: err });
      }
    }
    this.#state = 'running';
  }

  /** Stop every server in reverse registration order, each drained up to the stop timeout. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const wasRunning = this.#state === 'running' || this.#state === 'starting';
      this.#state = 'stopping';
      const errors = wasRunning ? await this.#stopAll([...this.#servers].reverse()) : [];
      this.#state = 'stopped';
      if (errors.length > 0) {
        throw Failures.stoppingFailed({ failures: errors });
      }
    })();
    return this.#stopping;
  }

  /**
   * SIGTERM / SIGINT stop the container gracefully, then call `onStopped` (default: exit 0, or
   * 1 when stopping failed). A second signal while stopping forces exit 1. Returns an uninstaller.
   */
  handleSignals(onStopped: (err?: unknown) => void = (err) => process.exit(err ? 1 : 0)): () => void {
    let received = 0;
    const handler = (signal: NodeJS.Signals) => {
      received++;
      if (received > 1) {
        this.#log('warn', `second ${signal}: forcing exit`);
        process.exit(1);
      }
      this.#log('info', `${signal}: stopping gracefully`);
      this.stop().then(() => onStopped(), onStopped);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
    return () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    };
  }

  async #stopAll(servers: Array<{ type: ServerType; server: Server }>): Promise<Array<{ type: ServerType; message: string }>> {
    const errors: Array<{ type: ServerType; message: string }> = [];
    for (const { type, server } of servers) {
      try {
        // The server bounds its own drain; this outer bound catches a server that does not.
        await withTimeout(server.stop({ timeoutMs: this.#stopTimeout }), this.#stopTimeout + 2000, () => Failures.serverNotStopped({ type }));
        this.#log('info', `server "${type}" stopped`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.#log('error', `server "${type}" failed to stop: ${message}`);
        errors.push({ type, message });
      }
    }
    return errors;
  }

  #pick(only: readonly ServerType[] | undefined) {
    if (this.#servers.length === 0) throw Failures.serversFirst();
    if (!only) return this.#servers;
    const unknown = only.filter((t) => !this.#servers.some((s) => s.type === t));
    if (unknown.length > 0) throw Failures.noServerOfType({ types: unknown });
    return this.#servers.filter((s) => only.includes(s.type));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, timedOut: () => MeshError): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut()), timerDelay(ms));
    }),
  ]);
}
