/**
 * Discovery for NATS-as-mesh, as pure state: nodes announce themselves (id, name, services)
 * on a shared subject every `interval` ms; an entry not refreshed within `expiryFactor`
 * intervals is dropped, so dead nodes vanish without anyone saying goodbye; a clean close
 * announces `bye` and vanishes at once. No sockets here: feed it announcements and clock ticks.
 */
import type { ServiceInfo } from '../../core/endpoint.js';
import type { ServiceView } from '../../core/node.js';

export interface Announcement {
  id: string;
  name: string;
  services: ServiceInfo[];
  /** The sender's announce interval (ms), so expiry follows the sender's pace. */
  interval: number;
  bye?: boolean;
}

interface Entry {
  ann: Announcement;
  expires: number;
}

export class ServiceTable {
  readonly #entries = new Map<string, Entry>();
  readonly #expiryFactor: number;
  #fingerprint = '';

  constructor(expiryFactor = 3.5) {
    this.#expiryFactor = expiryFactor;
  }

  /** Apply an announcement; true when the visible set of services or instances changed. */
  apply(ann: Announcement, now = Date.now()): boolean {
    if (ann.bye) this.#entries.delete(ann.id);
    else this.#entries.set(ann.id, { ann, expires: now + ann.interval * this.#expiryFactor });
    return this.#changed();
  }

  /** Drop expired nodes; true when that changed anything. */
  sweep(now = Date.now()): boolean {
    for (const [id, e] of this.#entries) if (e.expires <= now) this.#entries.delete(id);
    return this.#changed();
  }

  nodes(): Array<{ id: string; name: string }> {
    return [...this.#entries.values()].map((e) => ({ id: e.ann.id, name: e.ann.name }));
  }

  /** Node ids serving `name` (in `namespace` when given, and passing `which`), sorted for stable hashing. */
  instances(name: string, namespace?: string, which?: (service: ServiceInfo) => boolean): string[] {
    const ids: string[] = [];
    for (const e of this.#entries.values()) {
      const serves = (s: ServiceInfo) => s.name === name && (namespace === undefined || s.namespace === namespace) && (!which || which(s));
      if (e.ann.services.some(serves)) ids.push(e.ann.id);
    }
    return ids.sort();
  }

  services(): ServiceView[] {
    const byKey = new Map<string, ServiceView>();
    for (const e of this.#entries.values()) {
      for (const s of e.ann.services) {
        const key = `${s.namespace}/${s.name}`;
        const view = byKey.get(key);
        if (view) {
          view.instances.push(e.ann.id);
          if (s.http) view.http = true; // some instance publishes an HTTP handler
        } else byKey.set(key, { ...s, instances: [e.ann.id] });
      }
    }
    return [...byKey.values()].map((v) => ({ ...v, instances: v.instances.sort() }));
  }

  #changed(): boolean {
    const fp = this.services()
      .map((s) => `${s.namespace}/${s.name}:${s.instances.join(',')}:${s.http === true}:${s.contractHash ?? ''}`)
      .sort()
      .join('|');
    if (fp === this.#fingerprint) return false;
    this.#fingerprint = fp;
    return true;
  }
}
