/**
 * deploy/kubernetes/*.yaml checked offline, with no cluster: every document against Kubernetes'
 * own API schemas (the validators kubernetes-models compiles from the Kubernetes OpenAPI spec),
 * then what the schemas cannot say: the headless Service is every node's seed, the probes are
 * there, links are mutual TLS from a mounted Secret, pods run as the image's user, and only mesh
 * pods can reach the mesh port.
 * The schemas allow unknown fields (as the API server does), so the fields we rely on are
 * asserted here by name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const DIR = join(import.meta.dirname, '../../deploy/kubernetes');
const MESH_PORT = 11999;
const PART_OF = 'app.kubernetes.io/part-of';

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML */
type Manifest = Record<string, any>;

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'networking.k8s.io/v1 NetworkPolicy': NetworkPolicy,
};

function manifests(): Array<{ file: string; doc: Manifest }> {
  return readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort().flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
      return { file, doc: d.toJS() as Manifest };
    }));
}

/** Validate one manifest against its Kubernetes schema; throws naming the first violation. */
function validate(doc: Manifest): void {
  const Model = MODELS[`${doc.apiVersion} ${doc.kind}`];
  if (!Model) throw new Error(`no schema here for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

const all = manifests();
const ofKind = (kind: string) => all.map((m) => m.doc).filter((d) => d.kind === kind);
const deployments = ofKind('Deployment');
const headless = ofKind('Service').find((s) => s.spec.clusterIP === 'None')!;

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  it('every document is valid against the Kubernetes API schema', () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const { file, doc } of all) expect(() => validate(doc), `${file}: ${doc.kind} ${doc.metadata?.name}`).not.toThrow();
  });

  it('the schema check rejects what the API server would', () => {
    const broken = structuredClone(deployments[0]);
    broken.spec.replicas = 'three';
    expect(() => validate(broken)).toThrow(/replicas must be integer/);
    const badPort = structuredClone(headless);
    badPort.spec.ports[0].protocol = 'TPC';
    expect(() => validate(badPort)).toThrow(/protocol/);
  });

  it('a headless Service over every mesh pod is the seed of every node', () => {
    expect(headless.spec.selector).toEqual({ [PART_OF]: 'meshrpc' });
    expect(headless.spec.publishNotReadyAddresses).toBe(true); // a new pod joins before it is ready
    expect(headless.spec.ports).toEqual([expect.objectContaining({ port: MESH_PORT, targetPort: 'mesh' })]);
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['gateway', 'greeter']);
    for (const d of deployments) {
      const pod = d.spec.template;
      expect(pod.metadata.labels[PART_OF]).toBe('meshrpc');
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(pod.metadata.labels[k]).toBe(v);
      const [c] = pod.spec.containers;
      const env = Object.fromEntries(c.env.map((e: Manifest) => [e.name, e.value]));
      expect(env.MESHRPC_CLUSTER_NODES).toBe(headless.metadata.name);
      expect(env.MESHRPC_LISTEN_ADDR).toBe(`0.0.0.0:${MESH_PORT}`);
      expect(c.ports).toContainEqual(expect.objectContaining({ name: 'mesh', containerPort: MESH_PORT }));
      // Links are mutual TLS (plaintext is refused beyond loopback): the three files come from a
      // mounted Secret, readable by the node user's group.
      expect(env.MESHRPC_INSECURE).toBeUndefined();
      const mount = c.volumeMounts.find((m: Manifest) => m.name === 'tls');
      for (const k of ['MESHRPC_TLS_CA', 'MESHRPC_TLS_CERT', 'MESHRPC_TLS_KEY']) expect(env[k]).toMatch(new RegExp(`^${mount.mountPath}/`));
      const volume = pod.spec.volumes.find((v: Manifest) => v.name === 'tls');
      expect(volume.secret.secretName).toBe(`meshrpc-${d.metadata.name}-tls`);
      expect(volume.secret.defaultMode & 0o040).toBe(0o040);
      expect(pod.spec.securityContext.fsGroup).toBe(1000);
    }
  });

  it('pods have readiness and liveness probes, run as the image user, and roll without dropping', () => {
    const dockerfile = readFileSync(join(DIR, '../Dockerfile'), 'utf8');
    const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)![1].split(/\s+/).map(Number);
    for (const d of deployments) {
      const [c] = d.spec.template.spec.containers;
      expect(c.readinessProbe, d.metadata.name).toBeDefined();
      expect(c.livenessProbe, d.metadata.name).toBeDefined();
      for (const p of c.ports) expect(exposed).toContain(p.containerPort);
      expect(d.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 }); // the image's `node` user
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    }
    const gateway = deployments.find((d) => d.metadata.name === 'gateway')!.spec.template.spec.containers[0];
    expect(gateway.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  it('only mesh pods may reach the mesh port; the gateway opens its HTTP port alone', () => {
    const policies = ofKind('NetworkPolicy');
    const opening = (port: number) => policies.filter((p) => p.spec.ingress.some((rule: Manifest) => rule.ports?.some((q: Manifest) => q.port === port)));
    // Every rule that names the mesh port admits mesh pods only.
    expect(opening(MESH_PORT).length).toBeGreaterThan(0);
    for (const p of opening(MESH_PORT)) {
      expect(p.spec.podSelector.matchLabels[PART_OF]).toBe('meshrpc');
      for (const rule of p.spec.ingress) expect(rule.from).toEqual([{ podSelector: { matchLabels: { [PART_OF]: 'meshrpc' } } }]);
    }
    // No rule opens every port (a rule without ports would), and the open-to-all rule is HTTP only.
    for (const p of policies) for (const rule of p.spec.ingress) expect(rule.ports?.length, p.metadata.name).toBeGreaterThan(0);
    const open = policies.flatMap((p) => p.spec.ingress.filter((rule: Manifest) => !rule.from));
    expect(open.flatMap((rule: Manifest) => rule.ports.map((q: Manifest) => q.port))).toEqual([8282]);
  });
});
