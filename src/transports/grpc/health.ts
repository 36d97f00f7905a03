/**
 * grpc.health.v1.Health: "" and every served service report SERVING while the server runs and
 * NOT_SERVING once it stops; unknown names are NOT_FOUND (as the health protocol says). Watch
 * streams the current status and every change.
 */
import { status as Status, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type UntypedServiceImplementation } from '@grpc/grpc-js';

type ServingStatus = 'SERVING' | 'NOT_SERVING';

export class Health {
  readonly #statuses = new Map<string, ServingStatus>([['', 'SERVING']]);
  readonly #watchers = new Set<{ service: string; call: ServerWritableStream<{ service: string }, unknown> }>();

  set(service: string, status: ServingStatus): void {
    this.#statuses.set(service, status);
    for (const w of this.#watchers) if (w.service === service) w.call.write({ status });
  }

  setAll(status: ServingStatus): void {
    for (const name of this.#statuses.keys()) this.set(name, status);
  }

  /** End every Watch stream (on shutdown; the last status sent was NOT_SERVING). */
  endWatches(): void {
    for (const w of this.#watchers) w.call.end();
    this.#watchers.clear();
  }

  implementation(): UntypedServiceImplementation {
    return {
      Check: (call: ServerUnaryCall<{ service: string }, unknown>, callback: sendUnaryData<unknown>) => {
        const status = this.#statuses.get(call.request.service ?? '');
        if (!status) callback({ code: Status.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        else callback(null, { status });
      },
      Watch: (call: ServerWritableStream<{ service: string }, unknown>) => {
        const service = call.request.service ?? '';
        const watcher = { service, call };
        this.#watchers.add(watcher);
        call.write({ status: this.#statuses.get(service) ?? 'SERVICE_UNKNOWN' });
        call.on('cancelled', () => this.#watchers.delete(watcher));
      },
    };
  }
}
