/**
 * A docker-compose project (docker-compose 1.29 against podman's API socket, the only way to
 * `--scale` here) with the lookups the container tests need: its containers, their host names
 * (what a greeter puts in its replies), published ports, and the project's network.
 */
import { podman, run } from './engine.js';

export interface Container {
  name: string;
  hostname: string;
  running: boolean;
  /** When it was last started, ms since the epoch. */
  startedAt: number;
}

export class ComposeProject {
  constructor(
    /** podman's API socket (global-setup.ts). */
    readonly socket: string,
    readonly name: string,
    readonly files: string[],
    readonly vars: Record<string, string>,
  ) {}

  /** The compose network `meshnet` as podman names it. */
  get network(): string {
    return `${this.name}_meshnet`;
  }

  compose(args: string[], timeoutMs = 180_000): Promise<unknown> {
    const env = { ...process.env, DOCKER_HOST: `unix://${this.socket}`, COMPOSE_HTTP_TIMEOUT: '120', ...this.vars };
    return run('docker-compose', ['-p', this.name, ...this.files.flatMap((f) => ['-f', f]), ...args], { env, timeoutMs });
  }

  /** `up -d` without recreating what runs, with `--scale` per service. */
  up(scale: Record<string, number> = {}): Promise<unknown> {
    return this.compose(['up', '-d', '--no-recreate', ...Object.entries(scale).flatMap(([s, n]) => ['--scale', `${s}=${n}`])]);
  }

  /** Remove the project: its containers, those started beside it with `label`, and its network. */
  async down(label?: string): Promise<void> {
    if (label) {
      const { stdout } = await podman(['ps', '-a', '-q', '--filter', `label=${label}`]).catch(() => ({ stdout: '' }));
      const left = stdout.split('\n').filter(Boolean);
      if (left.length) await podman(['rm', '-f', '-t', '0', ...left]).catch(() => {});
    }
    await this.compose(['down', '--remove-orphans', '--timeout', '10'], 120_000).catch((err) => console.warn(`compose down: ${(err as Error).message}`));
    await podman(['network', 'rm', '-f', this.network]).catch(() => {});
  }

  /** The project's containers of one service (running or not). */
  async containers(service: string): Promise<Container[]> {
    const { stdout } = await podman(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${this.name}`, '--filter', `label=com.docker.compose.service=${service}`]);
    return inspect(stdout.split('\n').filter(Boolean));
  }

  /** The host port a container's port is published on. */
  async hostPort(container: string, port: number): Promise<number> {
    const { stdout } = await podman(['port', container, String(port)]);
    const found = /:(\d+)\s*$/m.exec(stdout);
    if (!found) throw new Error(`${container} publishes no port ${port}: ${stdout}`);
    return Number(found[1]);
  }
}

export async function inspect(ids: string[]): Promise<Container[]> {
  if (ids.length === 0) return [];
  const { stdout } = await podman(['inspect', '--format', '{{.Name}} {{.Config.Hostname}} {{.State.Running}} {{.State.StartedAt}}', ...ids]);
  return stdout.split('\n').filter(Boolean).map((line) => {
    const [name, hostname, running, ...started] = line.split(' ');
    // "2026-12-02 02:40:01.123456789 +0000 UTC": keep milliseconds, drop the zone name.
    const [day, time, zone] = started;
    return { name, hostname, running: running === 'true', startedAt: Date.parse(`${day}T${time.slice(0, 12)}${zone.slice(0, 3)}:${zone.slice(3)}`) };
  });
}
