// Kubernetes checks: a small kustomize (resources, components, strategic-merge patches, images,
// namespace, labels, ConfigMaps generated from files: the features infra/k8s uses) whose output is validated object by object with
// the JSON schemas compiled into the kubernetes-models packages (core API, KEDA, Prometheus
// operator), then cross-checked: references between objects resolve.
import fs from 'node:fs';
import path from 'node:path';
import { unknownFields } from './fields.js';
import { isRecord, parseYamlDocuments, rel } from './files.js';

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string; labels?: Record<string, string> };
};

/** Model packages by API group; the core groups are in kubernetes-models itself. */
const CRD_PACKAGES: Record<string, string> = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'PriorityClass']);

/** Fields of kustomization.yaml that this build understands; any other is a problem. */
const KUSTOMIZATION_FIELDS = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'labels',
  'resources',
  'components',
  'patches',
  'images',
  'configMapGenerator',
]);

/** Validates one object against its kind's schema; an unknown kind is a problem too. */
export async function validateObject(object: unknown, where: string): Promise<string[]> {
  if (!isRecord(object) || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
    return [`${where}: not a Kubernetes object (apiVersion and kind are required)`];
  }
  const name = isRecord(object.metadata) ? object.metadata.name : undefined;
  const label = `${where}: ${object.kind} ${typeof name === 'string' ? name : '(no name)'}`;
  if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    return [`${label}: metadata.name must be a DNS-1123 name`];
  }
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0]! : '';
  const pkg = CRD_PACKAGES[group] ?? 'kubernetes-models';
  let Model: (new (data: unknown) => { validate(): void }) | undefined;
  try {
    const mod = (await import(`${pkg}/${object.apiVersion}/${object.kind}`)) as Record<string, unknown>;
    Model = mod[object.kind] as typeof Model;
  } catch {
    Model = undefined;
  }
  if (!Model) return [`${label}: no schema for ${object.apiVersion} ${object.kind} (unknown kind or API version)`];
  const problems: string[] = [];
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const field of unknownFields(object as { apiVersion: string; kind: string }, pkg)) {
    problems.push(`${label}: unknown field ${field}`);
  }
  return problems;
}

/** Strategic merge as kustomize does it for the fields used here: lists of named items merge by name. */
export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (isRecord(target) && isRecord(patch)) {
    const out: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(patch))
      out[key] = key in target ? strategicMerge(target[key], value) : value;
    return out;
  }
  const named = (list: unknown): list is Record<string, unknown>[] =>
    Array.isArray(list) && list.every((item) => isRecord(item) && typeof item.name === 'string');
  if (named(target) && named(patch)) {
    const out = target.map((item) => {
      const update = patch.find((p) => p.name === item.name);
      return update ? strategicMerge(item, update) : item;
    });
    for (const item of patch) if (!target.some((t) => t.name === item.name)) out.push(item);
    return out;
  }
  return patch;
}

/** Containers and init containers of any workload's pod template (or of a bare pod). */
export function podSpecOf(object: K8sObject): Record<string, unknown> | undefined {
  const spec = object.spec;
  if (!isRecord(spec)) return undefined;
  if (object.kind === 'Pod') return spec;
  const template =
    isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) ? spec.jobTemplate.spec.template : spec.template;
  return isRecord(template) && isRecord(template.spec) ? template.spec : undefined;
}

function containersOf(object: K8sObject): Record<string, unknown>[] {
  const pod = podSpecOf(object);
  if (!pod) return [];
  return [pod.initContainers, pod.containers].flatMap((list) => (Array.isArray(list) ? list.filter(isRecord) : []));
}

export interface BuildResult {
  objects: K8sObject[];
  problems: string[];
  /** Every file the build read (kustomizations, resources, patches). */
  files: string[];
}

/**
 * Builds a kustomization folder (kind Kustomization, or Component when `component`: a component
 * starts from the including kustomization's objects so far, adds its own and may patch them all).
 */
export function kustomize(dir: string, component = false, seen: string[] = [], initial: K8sObject[] = []): BuildResult {
  const problems: string[] = [];
  const files: string[] = [];
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']
    .map((name) => path.join(dir, name))
    .find((f) => fs.existsSync(f));
  if (!file) return { objects: [], problems: [`${rel(dir)}: no kustomization.yaml`], files };
  if (seen.includes(dir)) return { objects: [], problems: [`${rel(dir)}: included in a cycle`], files };
  files.push(file);
  const { docs, problems: yamlProblems } = parseYamlDocuments(fs.readFileSync(file, 'utf8'), rel(file));
  problems.push(...yamlProblems);
  const k = docs[0];
  if (!isRecord(k)) return { objects: [], problems: [...problems, `${rel(file)}: empty`], files };
  const expected = component
    ? { apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component' }
    : { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' };
  if (k.apiVersion !== expected.apiVersion || k.kind !== expected.kind) {
    problems.push(`${rel(file)}: must be apiVersion ${expected.apiVersion}, kind ${expected.kind}`);
  }
  for (const key of Object.keys(k)) {
    if (!KUSTOMIZATION_FIELDS.has(key)) problems.push(`${rel(file)}: unsupported field ${key}`);
  }
  const list = (key: string): unknown[] => {
    const value = k[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      problems.push(`${rel(file)}: ${key} must be a list`);
      return [];
    }
    return value;
  };
  let objects: K8sObject[] = [...initial];
  const merge = (result: BuildResult) => {
    problems.push(...result.problems);
    files.push(...result.files);
    return result.objects;
  };

  for (const entry of list('resources')) {
    const target = path.resolve(dir, String(entry));
    if (!fs.existsSync(target)) {
      problems.push(`${rel(file)}: resource ${String(entry)} does not exist`);
    } else if (fs.statSync(target).isDirectory()) {
      objects.push(...merge(kustomize(target, false, [...seen, dir])));
    } else {
      files.push(target);
      const parsed = parseYamlDocuments(fs.readFileSync(target, 'utf8'), rel(target));
      problems.push(...parsed.problems);
      for (const doc of parsed.docs) objects.push(doc as K8sObject);
    }
  }
  for (const entry of list('configMapGenerator')) {
    const generated = configMapFromFiles(dir, entry, rel(file));
    problems.push(...generated.problems);
    files.push(...generated.files);
    if (generated.object) objects.push(generated.object);
  }
  // A component adds its resources and then patches what the including kustomization has so far.
  for (const entry of list('components')) {
    const target = path.resolve(dir, String(entry));
    if (!fs.existsSync(target) || !fs.statSync(target).isDirectory()) {
      problems.push(`${rel(file)}: component ${String(entry)} is not a folder`);
      continue;
    }
    objects = merge(kustomize(target, true, [...seen, dir], objects));
  }
  for (const entry of list('patches')) {
    const patchPath = isRecord(entry) ? entry.path : undefined;
    if (typeof patchPath !== 'string') {
      problems.push(`${rel(file)}: only patches with a path are supported`);
      continue;
    }
    const target = path.resolve(dir, patchPath);
    if (!fs.existsSync(target)) {
      problems.push(`${rel(file)}: patch ${patchPath} does not exist`);
      continue;
    }
    files.push(target);
    const parsed = parseYamlDocuments(fs.readFileSync(target, 'utf8'), rel(target));
    problems.push(...parsed.problems);
    for (const patch of parsed.docs) {
      if (!isRecord(patch) || !isRecord(patch.metadata)) {
        problems.push(`${rel(target)}: a patch needs kind and metadata.name`);
        continue;
      }
      const index = objects.findIndex(
        (o) => isRecord(o) && o.kind === patch.kind && o.metadata?.name === (patch.metadata as { name?: unknown }).name,
      );
      if (index < 0) {
        problems.push(
          `${rel(target)}: patches ${String(patch.kind)} ${String(patch.metadata.name)}, which is not in the build`,
        );
        continue;
      }
      objects[index] = strategicMerge(objects[index], patch) as K8sObject;
    }
  }
  for (const entry of list('images')) {
    if (!isRecord(entry) || typeof entry.name !== 'string') {
      problems.push(`${rel(file)}: an images entry needs a name`);
      continue;
    }
    let used = false;
    for (const object of objects) {
      for (const container of containersOf(object)) {
        const image = String(container.image ?? '');
        const bare = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
        if (bare !== entry.name) continue;
        used = true;
        const name = typeof entry.newName === 'string' ? entry.newName : bare;
        const tag =
          typeof entry.digest === 'string'
            ? `@${entry.digest}`
            : entry.newTag !== undefined
              ? `:${String(entry.newTag)}`
              : image.slice(bare.length);
        container.image = `${name}${tag}`;
      }
    }
    if (!used) problems.push(`${rel(file)}: image ${entry.name} is not used by any container`);
  }
  if (typeof k.namespace === 'string') {
    for (const object of objects) {
      if (isRecord(object?.metadata) && !CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = k.namespace;
    }
  }
  for (const entry of list('labels')) {
    if (!isRecord(entry) || !isRecord(entry.pairs)) continue;
    for (const object of objects) {
      if (isRecord(object?.metadata)) {
        object.metadata.labels = { ...(object.metadata.labels ?? {}), ...(entry.pairs as Record<string, string>) };
      }
    }
  }
  return { objects, problems, files };
}

/**
 * A configMapGenerator entry with `files` (`key=path` or `path`, the key then the file's name). Only
 * with `options.disableNameSuffixHash: true`: a hashed name would need every reference renamed,
 * which this build does not do. As kustomize, refuses files outside the kustomization's folder.
 */
function configMapFromFiles(
  dir: string,
  entry: unknown,
  where: string,
): { object?: K8sObject; problems: string[]; files: string[] } {
  const problems: string[] = [];
  const files: string[] = [];
  if (!isRecord(entry) || typeof entry.name !== 'string' || !Array.isArray(entry.files)) {
    return { problems: [`${where}: a configMapGenerator entry needs a name and files`], files };
  }
  for (const key of Object.keys(entry)) {
    if (!['name', 'files', 'options'].includes(key)) problems.push(`${where}: configMapGenerator: unsupported ${key}`);
  }
  const options = isRecord(entry.options) ? entry.options : {};
  if (options.disableNameSuffixHash !== true) {
    problems.push(`${where}: configMapGenerator ${entry.name} needs options.disableNameSuffixHash: true`);
  }
  const data: Record<string, string> = {};
  for (const spec of entry.files.map(String)) {
    const [key, file] = spec.includes('=') ? spec.split('=', 2) : [path.basename(spec), spec];
    const target = path.resolve(dir, file!);
    if (path.relative(dir, target).startsWith('..')) {
      problems.push(`${where}: configMapGenerator file ${file} is outside ${rel(dir)}`);
    } else if (!fs.existsSync(target)) {
      problems.push(`${where}: configMapGenerator file ${file} does not exist`);
    } else {
      files.push(target);
      data[key!] = fs.readFileSync(target, 'utf8');
    }
  }
  const object: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: entry.name }, data };
  return { object, problems, files };
}

/**
 * References between the built objects: Services select pods and name their ports, Secrets and
 * ConfigMaps that containers use exist, probes use declared ports, ScaledObjects and
 * ServiceMonitors have targets, names are unique, images are pinned.
 */
export function crossCheck(objects: K8sObject[], where: string): string[] {
  const problems: string[] = [];
  const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const seen = new Set<string>();
  for (const object of objects) {
    if (seen.has(key(object))) problems.push(`${where}: ${object.kind} ${object.metadata.name} is defined twice`);
    seen.add(key(object));
  }
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const workloads = objects.filter((o) => podSpecOf(o) !== undefined);
  const podLabels = (o: K8sObject): Record<string, string> => {
    const spec = o.spec as Record<string, unknown>;
    const template = spec.template as { metadata?: { labels?: Record<string, string> } } | undefined;
    return template?.metadata?.labels ?? {};
  };
  const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  for (const workload of workloads) {
    const at = `${where}: ${workload.kind} ${workload.metadata.name}`;
    const spec = workload.spec as Record<string, unknown>;
    const selector =
      isRecord(spec.selector) && isRecord(spec.selector.matchLabels) ? spec.selector.matchLabels : undefined;
    if (selector && !matches(selector as Record<string, string>, podLabels(workload))) {
      problems.push(`${at}: selector does not match the pod template's labels`);
    }
    if (workload.kind === 'StatefulSet' && !find('Service', String(spec.serviceName))) {
      problems.push(`${at}: serviceName ${String(spec.serviceName)} is not a Service`);
    }
    const pod = podSpecOf(workload)!;
    const volumes = new Set(
      (Array.isArray(pod.volumes) ? pod.volumes : []).filter(isRecord).map((v) => String(v.name)),
    );
    for (const template of Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []) {
      if (isRecord(template) && isRecord(template.metadata)) volumes.add(String(template.metadata.name));
    }
    for (const volume of (Array.isArray(pod.volumes) ? pod.volumes : []).filter(isRecord)) {
      for (const [kind, field] of [
        ['ConfigMap', 'configMap'],
        ['Secret', 'secret'],
      ] as const) {
        const source = volume[field];
        const name = isRecord(source) ? (source.name ?? source.secretName) : undefined;
        if (typeof name === 'string' && !find(kind, name) && !(isRecord(source) && source.optional === true)) {
          problems.push(`${at}: volume ${String(volume.name)} uses ${kind} ${name}, which is not in the build`);
        }
      }
    }
    for (const container of containersOf(workload)) {
      const cat = `${at} container ${String(container.name)}`;
      const image = String(container.image ?? '');
      const tag = image.includes('@') ? 'digest' : image.split('/').pop()!.split(':')[1];
      if (!tag || tag === 'latest') problems.push(`${cat}: image ${image} has no pinned tag`);
      const ports = new Set(
        (Array.isArray(container.ports) ? container.ports : [])
          .filter(isRecord)
          .flatMap((p) => [String(p.name), String(p.containerPort)]),
      );
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const spec = container[probe];
        if (!isRecord(spec)) continue;
        const action = spec.httpGet ?? spec.tcpSocket ?? spec.grpc;
        if (isRecord(action) && action.port !== undefined && !ports.has(String(action.port))) {
          problems.push(`${cat}: ${probe} uses port ${String(action.port)}, which the container does not declare`);
        }
      }
      for (const mount of (Array.isArray(container.volumeMounts) ? container.volumeMounts : []).filter(isRecord)) {
        if (!volumes.has(String(mount.name)))
          problems.push(`${cat}: mounts volume ${String(mount.name)}, which the pod lacks`);
      }
      for (const env of (Array.isArray(container.env) ? container.env : []).filter(isRecord)) {
        const from = isRecord(env.valueFrom) ? env.valueFrom : {};
        for (const [kind, field] of [
          ['Secret', 'secretKeyRef'],
          ['ConfigMap', 'configMapKeyRef'],
        ] as const) {
          const ref = from[field];
          if (!isRecord(ref)) continue;
          const target = find(kind, String(ref.name));
          const data = target ? { ...(target.data as object), ...(target.stringData as object) } : undefined;
          if (ref.optional === true) continue;
          if (!target)
            problems.push(
              `${cat}: env ${String(env.name)} reads ${kind} ${String(ref.name)}, which is not in the build`,
            );
          else if (!(String(ref.key) in (data ?? {}))) {
            problems.push(
              `${cat}: env ${String(env.name)} reads key ${String(ref.key)}, which ${kind} ${String(ref.name)} lacks`,
            );
          }
        }
      }
    }
  }

  for (const service of objects.filter((o) => o.kind === 'Service')) {
    const at = `${where}: Service ${service.metadata.name}`;
    const spec = service.spec as Record<string, unknown>;
    const selector = (spec.selector ?? {}) as Record<string, string>;
    const backends = workloads.filter((w) => matches(selector, podLabels(w)));
    if (Object.keys(selector).length > 0 && backends.length === 0) problems.push(`${at}: selects no pods`);
    for (const port of (Array.isArray(spec.ports) ? spec.ports : []).filter(isRecord)) {
      if (typeof port.targetPort !== 'string') continue;
      const declared = backends.some((w) =>
        containersOf(w).some(
          (c) => Array.isArray(c.ports) && c.ports.some((p) => isRecord(p) && p.name === port.targetPort),
        ),
      );
      if (!declared) problems.push(`${at}: targetPort ${port.targetPort} is not a named port of its pods`);
    }
  }

  for (const scaled of objects.filter((o) => o.kind === 'ScaledObject')) {
    const at = `${where}: ScaledObject ${scaled.metadata.name}`;
    const spec = scaled.spec as Record<string, unknown>;
    const ref = spec.scaleTargetRef as { name?: string; kind?: string };
    const target = find(ref.kind ?? 'Deployment', String(ref.name));
    if (!target) problems.push(`${at}: scaleTargetRef ${String(ref.name)} is not in the build`);
    const min = Number(spec.minReplicaCount ?? 0);
    const max = Number(spec.maxReplicaCount ?? 100);
    if (!(min <= max)) problems.push(`${at}: minReplicaCount ${min} exceeds maxReplicaCount ${max}`);
    for (const trigger of (Array.isArray(spec.triggers) ? spec.triggers : []).filter(isRecord)) {
      if (trigger.type !== 'nats-jetstream') continue;
      const meta = (trigger.metadata ?? {}) as Record<string, unknown>;
      for (const field of ['natsServerMonitoringEndpoint', 'account', 'stream', 'consumer', 'lagThreshold']) {
        if (typeof meta[field] !== 'string' || meta[field] === '') {
          problems.push(`${at}: nats-jetstream trigger needs metadata.${field} (a string)`);
        }
      }
      const endpoint = String(meta.natsServerMonitoringEndpoint ?? '');
      const [host = '', port = ''] = endpoint.split(':');
      const [serviceName, namespace] = host.split('.');
      const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === serviceName);
      if (!service) problems.push(`${at}: monitoring endpoint ${endpoint} is not a Service of the build`);
      else {
        if (namespace !== undefined && namespace !== (service.metadata.namespace ?? namespace)) {
          problems.push(
            `${at}: monitoring endpoint ${endpoint} names namespace ${namespace}, the Service is in ${String(service.metadata.namespace)}`,
          );
        }
        const spec = service.spec as Record<string, unknown>;
        if (spec.clusterIP !== 'None')
          problems.push(`${at}: monitoring endpoint must be a headless Service (KEDA asks <node>.${host})`);
        const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter(isRecord).map((p) => String(p.port));
        if (!ports.includes(port)) problems.push(`${at}: Service ${serviceName} has no port ${port}`);
      }
    }
  }

  for (const monitor of objects.filter((o) => o.kind === 'ServiceMonitor')) {
    const at = `${where}: ServiceMonitor ${monitor.metadata.name}`;
    const spec = monitor.spec as {
      selector?: { matchLabels?: Record<string, string> };
      endpoints?: { port?: string }[];
    };
    const selected = objects.filter(
      (o) => o.kind === 'Service' && matches(spec.selector?.matchLabels ?? {}, o.metadata.labels ?? {}),
    );
    if (selected.length === 0) problems.push(`${at}: selects no Service`);
    for (const endpoint of spec.endpoints ?? []) {
      const ok = selected.some((s) =>
        ((s.spec as { ports?: { name?: string }[] }).ports ?? []).some((p) => p.name === endpoint.port),
      );
      if (endpoint.port && !ok) problems.push(`${at}: no selected Service has a port named ${endpoint.port}`);
    }
  }
  return problems;
}
