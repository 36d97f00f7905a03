/**
 * Once per `npm run test:containers`: check the engine (fail in CI, skip elsewhere: engine.ts),
 * build the images every story uses, and run podman's API socket for docker-compose. Test files
 * read the outcome with inject('containers'); teardown stops the socket's process by its PID.
 */
import type { TestProject } from 'vitest/node';
import { buildImage, containerEngine, DEBIAN_BASE, IMAGES, podman, PodmanService } from './engine.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The API socket docker-compose talks to, or '' when containers cannot run here. */
    containers: string;
  }
}

let service: PodmanService | undefined;

export async function setup(project: TestProject): Promise<void> {
  if (!(await containerEngine())) {
    project.provide('containers', '');
    return;
  }
  const t0 = Date.now();
  // One after the other: the second reuses all but the last layers of the first (two at once
  // would both run the same `npm ci`).
  await buildImage(IMAGES.gateway, 'examples/mesh-api/main.ts');
  await buildImage(IMAGES.greeter, 'examples/greeter/main.ts');
  await podman(['build', '--quiet', '--format', 'docker', '--build-arg', `DEBIAN_IMAGE=${DEBIAN_BASE}`,
    '-f', 'deploy/nats.Dockerfile', '-t', IMAGES.nats, 'deploy'], 420_000);
  console.log(`images built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  service = new PodmanService();
  await service.start();
  project.provide('containers', service.socket);
}

export async function teardown(): Promise<void> {
  await service?.stop();
}
