// infra/k8s: every overlay built (infra/test/lib/kubernetes.ts, a small kustomize), every object
// validated against the Kubernetes, KEDA and Prometheus-operator schemas of the kubernetes-models
// packages, then cross-checked. Offline: no cluster, no kubectl.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { JOBS_CONSUMER, JOBS_STREAM } from '@lrnas/schema';
import { listFiles, rel, ROOT } from './lib/files.js';
import { expressionProblems } from './lib/grafana.js';
import { crossCheck, kustomize, podSpecOf, strategicMerge, validateObject, type K8sObject } from './lib/kubernetes.js';

const K8S = path.join(ROOT, 'infra', 'k8s');
const OVERLAYS = fs.readdirSync(path.join(K8S, 'overlays')).sort();

function build(overlay: string): K8sObject[] {
  const result = kustomize(path.join(K8S, 'overlays', overlay));
  assert.deepEqual(result.problems, []);
  return result.objects;
}
const get = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind} ${name} is in the build`);
  return found;
};
type Container = {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  readinessProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
};
const container = (object: K8sObject): Container => (podSpecOf(object)!.containers as Container[])[0]!;
const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name);

describe('Kubernetes manifests', () => {
  it('has the cpu, gpu and external-db overlays', () => {
    assert.deepEqual(OVERLAYS, ['cpu', 'external-db', 'gpu']);
  });

  for (const overlay of OVERLAYS) {
    it(`overlays/${overlay} builds, validates against the schemas and cross-checks`, async () => {
      const objects = build(overlay);
      const problems = (await Promise.all(objects.map((o) => validateObject(o, `overlays/${overlay}`)))).flat();
      problems.push(...crossCheck(objects, `overlays/${overlay}`));
      assert.deepEqual(problems, []);
      for (const object of objects) {
        if (object.kind !== 'Namespace') assert.equal(object.metadata.namespace, 'lrnas', `${object.kind} namespace`);
      }
    });
  }

  it('every YAML file under infra/k8s is part of some overlay', () => {
    const used = new Set(OVERLAYS.flatMap((o) => kustomize(path.join(K8S, 'overlays', o)).files));
    const orphans = listFiles(K8S, (n) => /\.ya?ml$/.test(n)).filter((f) => !used.has(f));
    assert.deepEqual(orphans.map(rel), []);
  });

  it('runs a three-node NATS JetStream cluster with routes, a headless Service and volumes', () => {
    const objects = build('cpu');
    const nats = get(objects, 'StatefulSet', 'nats');
    const spec = nats.spec as { replicas: number; serviceName: string; volumeClaimTemplates: unknown[] };
    assert.equal(spec.replicas, 3);
    assert.equal(spec.serviceName, 'nats-headless');
    assert.equal(spec.volumeClaimTemplates.length, 1);
    const headless = get(objects, 'Service', 'nats-headless').spec as Record<string, unknown>;
    assert.equal(headless.clusterIP, 'None');
    const conf = (get(objects, 'ConfigMap', 'nats-config').data as Record<string, string>)['nats.conf']!;
    assert.match(conf, /jetstream \{[^}]*store_dir: \/data/);
    assert.match(conf, /server_name: \$POD_NAME/);
    // The routes are in the pod's environment (they carry the route login: infra/test/nats.test.ts).
    const env = (podSpecOf(nats)!.containers as Container[])[0]!.env!;
    const routes = env.find((e) => e.name === 'NATS_ROUTES')?.value ?? '';
    for (let i = 0; i < 3; i++) {
      assert.ok(routes.includes(`@nats-${i}.nats-headless.lrnas.svc.cluster.local:6222`), `route to nats-${i}`);
    }
  });

  it('replicates streams 3 times: gateway and workers get LRNAS_NATS_REPLICAS=3', () => {
    for (const overlay of OVERLAYS) {
      const objects = build(overlay);
      for (const name of ['gateway', 'worker']) {
        const c = container(get(objects, 'Deployment', name));
        assert.equal(envOf(c, 'LRNAS_NATS_REPLICAS')?.value, '3', `${overlay} ${name}`);
        assert.equal(envOf(c, 'NATS_URL')?.value, 'tls://nats:4222', `${overlay} ${name}`);
      }
    }
  });

  it('runs two gateways with readiness and liveness probes on /healthz, the database URL from a Secret', () => {
    const gateway = get(build('cpu'), 'Deployment', 'gateway');
    assert.equal((gateway.spec as { replicas: number }).replicas, 2);
    const c = container(gateway);
    assert.equal(c.readinessProbe?.httpGet?.path, '/healthz');
    assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
    assert.deepEqual(envOf(c, 'DATABASE_URL')?.valueFrom, { secretKeyRef: { name: 'lrnas-db', key: 'DATABASE_URL' } });
    assert.match(c.image, /^lrnas\/gateway:/);
  });

  it('scrapes the gateway on its metrics listener (LRNAS_METRICS_PORT), never through Service gateway', () => {
    const objects = build('cpu');
    const gateway = get(objects, 'Deployment', 'gateway');
    const c = container(gateway) as Container & { ports: { name: string; containerPort: number }[] };
    const metrics = c.ports.find((p) => p.name === 'metrics')!;
    assert.equal(envOf(c, 'LRNAS_METRICS_PORT')?.value, String(metrics.containerPort));
    const annotations = (gateway.spec as { template: { metadata: { annotations: Record<string, string> } } }).template
      .metadata.annotations;
    assert.equal(annotations['prometheus.io/port'], String(metrics.containerPort));
    const selector = (get(objects, 'ServiceMonitor', 'gateway').spec as { selector: { matchLabels: object } }).selector
      .matchLabels;
    const selected = objects.filter(
      (o) => o.kind === 'Service' && Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v),
    );
    assert.deepEqual(
      selected.map((o) => o.metadata.name),
      ['gateway-metrics'],
    );
    const publicPorts = (get(objects, 'Service', 'gateway').spec as { ports: { targetPort: string }[] }).ports;
    assert.deepEqual(
      publicPorts.map((p) => p.targetPort),
      ['http'],
    );
  });

  it('alerts on stuck ingestion, forged events, late heartbeats and blocked event loops, with exported metrics only', () => {
    for (const overlay of OVERLAYS) {
      const rule = get(build(overlay), 'PrometheusRule', 'lrnas');
      const rules = (rule.spec as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap(
        (g) => g.rules,
      );
      for (const { alert, expr } of rules) assert.deepEqual(expressionProblems(expr, `${overlay}: ${alert}`), []);
      const names = rules.map((r) => r.alert);
      for (const alert of [
        'LrnasIngestionStuck',
        'LrnasForgedEvents',
        'LrnasWorkerHeartbeatLate',
        'LrnasWorkerEventLoopBlocked',
      ]) {
        assert.ok(names.includes(alert), `${overlay}: ${alert}`);
      }
    }
    assert.match(expressionProblems('max(lrnas_worker_heartbeat_age)', 'x').join(''), /unknown metric/);
  });

  it('scales workers with KEDA on the jobs consumer of the contract', () => {
    const scaled = get(build('cpu'), 'ScaledObject', 'worker');
    const spec = scaled.spec as { triggers: { type: string; metadata: Record<string, string> }[] };
    assert.equal(spec.triggers.length, 1);
    assert.equal(spec.triggers[0]!.type, 'nats-jetstream');
    assert.equal(spec.triggers[0]!.metadata.stream, JOBS_STREAM);
    assert.equal(spec.triggers[0]!.metadata.consumer, JOBS_CONSUMER);
  });

  it('the gpu overlay runs GPU workers with one nvidia.com/gpu each, the cpu overlay none', () => {
    const gpu = container(get(build('gpu'), 'Deployment', 'worker'));
    assert.match(gpu.image, /^lrnas\/worker-gpu:/);
    assert.equal(gpu.resources?.limits?.['nvidia.com/gpu'], 1);
    assert.equal(gpu.resources?.requests?.['nvidia.com/gpu'], 1);
    // The patch merged into the base container: the base's settings are still there.
    assert.equal(envOf(gpu, 'LRNAS_NATS_REPLICAS')?.value, '3');
    assert.equal(envOf(gpu, 'LRNAS_BACKEND')?.value, 'webgpu');
    assert.match(envOf(gpu, 'NVIDIA_DRIVER_CAPABILITIES')?.value ?? '', /\bgraphics\b/);
    const cpu = container(get(build('cpu'), 'Deployment', 'worker'));
    assert.match(cpu.image, /^lrnas\/worker-cpu:/);
    assert.equal(cpu.resources?.limits?.['nvidia.com/gpu'], undefined);
  });

  it('bundles PostgreSQL except in external-db; Secrets hold documented placeholders', () => {
    assert.ok(build('cpu').some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'postgres'));
    assert.ok(!build('external-db').some((o) => o.metadata.name === 'postgres'));
    const readme = fs.readFileSync(path.join(ROOT, 'infra', 'README.md'), 'utf8');
    for (const secret of build('cpu').filter((o) => o.kind === 'Secret')) {
      assert.ok(readme.includes(secret.metadata.name), `infra/README.md documents Secret ${secret.metadata.name}`);
      for (const [key, value] of Object.entries(secret.stringData as Record<string, string>)) {
        if (key === 'LRNAS_BOOTSTRAP_TEAM') continue;
        assert.match(value, /CHANGE ME/, `${secret.metadata.name}.${key}`);
        // The gateway refuses both placeholders (a URL with a space, a key that is not 32 to 200
        // of A-Z a-z 0-9 _ -): a deployment that keeps them fails instead of running with them.
        if (key === 'DATABASE_URL') assert.doesNotMatch(value, /^postgres(?:ql)?:\/\/\S+$/);
        if (key === 'LRNAS_BOOTSTRAP_KEY') assert.doesNotMatch(value, /^[A-Za-z0-9_-]{32,200}$/);
      }
    }
  });

  it('finds the problems of broken manifests', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-k8s-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          'namespace: demo',
          'commonLabels: {a: b}',
          'resources: [app.yaml, missing.yaml]',
          'patches: [{path: patch.yaml}]',
          'images: [{name: not/used, newTag: "1"}]',
          'configMapGenerator: [{name: conf, files: [absent.conf, ../outside.conf]}]',
        ].join('\n'),
      );
      fs.writeFileSync(
        path.join(dir, 'app.yaml'),
        `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: other}}
    spec:
      containers:
        - name: app
          image: example/app:latest
          ports: [{name: http, containerPort: "eighty"}]
          readinessProbe: {httpGet: {path: /healthz, port: metrics}}
          livenesProbe: {httpGet: {path: /healthz, port: http}}
          env:
            - name: PASSWORD
              valueFrom: {secretKeyRef: {name: nowhere, key: password}}
          volumeMounts: [{name: data, mountPath: /data}]
---
apiVersion: v1
kind: Service
metadata: {name: app}
spec:
  selector: {app: nothing}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: app}
spec:
  scaleTargetRef: {name: ghost}
  minReplicaCount: 5
  cooldown: 30
  maxReplicaCount: 2
  triggers:
    - type: nats-jetstream
      metadata: {natsServerMonitoringEndpoint: "app.demo.svc:8222", account: $G, consumer: c, lagThreshold: "1"}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app}
spec:
  selector: {matchLabels: {app: none}}
  endpoints: [{port: metrics}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: Bad_Name}
`,
      );
      fs.writeFileSync(
        path.join(dir, 'patch.yaml'),
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: absent}\n',
      );
      const result = kustomize(dir);
      const problems = [
        ...result.problems,
        ...(await Promise.all(result.objects.map((o) => validateObject(o, 'broken')))).flat(),
        ...crossCheck(result.objects, 'broken'),
      ];
      const expect = (pattern: RegExp) =>
        assert.ok(
          problems.some((p) => pattern.test(p)),
          `expected ${pattern} among:\n${problems.join('\n')}`,
        );
      expect(/unsupported field commonLabels/);
      expect(/resource missing\.yaml does not exist/);
      expect(/patches Deployment absent, which is not in the build/);
      expect(/image not\/used is not used/);
      expect(/configMapGenerator conf needs options\.disableNameSuffixHash: true/);
      expect(/configMapGenerator file absent\.conf does not exist/);
      expect(/configMapGenerator file \.\.\/outside\.conf is outside/);
      expect(/containerPort must be integer/);
      expect(/unknown field spec\.cooldown/);
      expect(/unknown field spec\.template\.spec\.containers\[0\]\.livenesProbe/);
      expect(/selector does not match the pod template's labels/);
      expect(/image example\/app:latest has no pinned tag/);
      expect(/readinessProbe uses port metrics/);
      expect(/reads Secret nowhere, which is not in the build/);
      expect(/mounts volume data, which the pod lacks/);
      expect(/Service app: selects no pods/);
      expect(/scaleTargetRef ghost is not in the build/);
      expect(/minReplicaCount 5 exceeds maxReplicaCount 2/);
      expect(/needs metadata\.stream/);
      expect(/must be a headless Service/);
      expect(/ServiceMonitor app: selects no Service/);
      expect(/no schema for example\.com\/v1 Widget/);
      expect(/ConfigMap Bad_Name: metadata.name must be a DNS-1123 name/);
      const empty = fs.mkdtempSync(path.join(dir, 'empty-'));
      assert.match(kustomize(empty).problems.join('\n'), /no kustomization\.yaml/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('merges patches like kustomize: named list items by name, the rest replaced', () => {
    const merged = strategicMerge(
      { containers: [{ name: 'a', image: 'x:1', env: [{ name: 'A', value: '1' }] }], args: ['1'] },
      {
        containers: [
          { name: 'a', env: [{ name: 'B', value: '2' }] },
          { name: 'b', image: 'y:1' },
        ],
        args: ['2'],
      },
    );
    assert.deepEqual(merged, {
      containers: [
        {
          name: 'a',
          image: 'x:1',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
        { name: 'b', image: 'y:1' },
      ],
      args: ['2'],
    });
  });
});
