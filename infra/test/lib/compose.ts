// Compose checks: the Compose Specification's JSON schema (as shipped by the dclint package),
// dclint's own rules, and cross-references the schema cannot see.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { DCLinter } from 'dclint';
import { isRecord, parseYamlDocuments } from './files.js';

const require = createRequire(import.meta.url);
let schemaValidator: ValidateFunction | undefined;

/** The compose-spec JSON schema (draft-07) compiled once. */
function composeSchema(): ValidateFunction {
  if (!schemaValidator) {
    const file = path.join(path.dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
    const { $schema: _draft, ...schema } = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    // The schema is draft-07, Ajv's default; its `$schema` spells the draft's URL in a way Ajv does not know.
    schemaValidator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return schemaValidator;
}

/**
 * Compose's variable interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `$VAR` and `$$`. A required variable that is unset is a problem.
 */
export function interpolate(value: unknown, env: Record<string, string>, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{(\w+)(?:(:?)([-?])((?:[^{}]|\{[^{}]*\})*))?\}|\$(\w+)/g,
      (whole, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
        if (whole === '$$') return '$';
        if (bare !== undefined) return env[bare] ?? '';
        const set = env[name!];
        const missing = set === undefined || (colon === ':' && set === '');
        if (op === '-') return missing ? String(interpolate(arg ?? '', env, problems)) : set!;
        if (op === '?' && missing) problems.push(`required variable ${name} is not set: ${arg}`);
        return set ?? '';
      },
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env, problems));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, problems)]));
  }
  return value;
}

/** Compose's `<<` merge keys are resolved by the YAML parser; numbers in strings stay strings. */
export function checkCompose(
  text: string,
  options: { name: string; dir: string; env: Record<string, string>; lintFile?: string },
): string[] {
  const problems: string[] = [];
  const { docs, problems: yamlProblems } = parseYamlDocuments(text, options.name);
  problems.push(...yamlProblems);
  if (docs.length !== 1 || !isRecord(docs[0])) return [...problems, `${options.name}: not one YAML mapping`];
  const interpolationProblems: string[] = [];
  const model = interpolate(docs[0], options.env, interpolationProblems);
  problems.push(...interpolationProblems.map((p) => `${options.name}: ${p}`));
  const validateSchema = composeSchema();
  if (!validateSchema(model)) {
    for (const error of validateSchema.errors ?? []) {
      const extra = isRecord(error.params) && 'additionalProperty' in error.params;
      problems.push(
        `${options.name}: schema: ${error.instancePath || '/'} ${error.message}${extra ? ` (${String(error.params.additionalProperty)})` : ''}`,
      );
    }
  }
  if (!isRecord(model) || !isRecord(model.services)) return [...problems, `${options.name}: no services`];
  const services = model.services as Record<string, Record<string, unknown>>;
  const volumes = isRecord(model.volumes) ? model.volumes : {};
  const usedVolumes = new Set<string>();
  for (const [name, service] of Object.entries(services)) {
    if (!isRecord(service)) continue;
    const at = `${options.name}: service ${name}`;
    const profiles = Array.isArray(service.profiles) ? service.profiles : [];
    if (!service.image && !service.build) problems.push(`${at} has neither image nor build`);
    if (typeof service.image === 'string' && !service.build) {
      const tag = service.image.split('/').pop()!.split(':')[1];
      if (!tag || tag === 'latest') problems.push(`${at}: image ${service.image} is not pinned to a version tag`);
    }
    if (isRecord(service.build)) {
      const context = path.resolve(options.dir, String(service.build.context ?? '.'));
      const dockerfile = path.resolve(context, String(service.build.dockerfile ?? 'Dockerfile'));
      if (!fs.existsSync(context)) problems.push(`${at}: build context ${String(service.build.context)} is missing`);
      if (!fs.existsSync(dockerfile))
        problems.push(`${at}: Dockerfile ${path.relative(options.dir, dockerfile)} is missing`);
    }
    const dependsOn = Array.isArray(service.depends_on)
      ? Object.fromEntries(service.depends_on.map((d) => [String(d), { condition: 'service_started' }]))
      : isRecord(service.depends_on)
        ? service.depends_on
        : {};
    for (const [dependency, spec] of Object.entries(dependsOn)) {
      const target = services[dependency];
      if (!target) {
        problems.push(`${at} depends on ${dependency}, which is not a service`);
        continue;
      }
      const targetProfiles = Array.isArray(target.profiles) ? target.profiles : [];
      if (targetProfiles.length > 0 && !targetProfiles.some((p) => profiles.includes(p))) {
        problems.push(`${at} depends on ${dependency}, which only runs with profile ${targetProfiles.join('/')}`);
      }
      const condition = isRecord(spec) ? spec.condition : undefined;
      if (condition === 'service_healthy' && !hasHealthcheck(target, options.dir)) {
        problems.push(`${at} waits for ${dependency} to be healthy, but ${dependency} has no health check`);
      }
    }
    for (const mount of Array.isArray(service.volumes) ? service.volumes : []) {
      const source =
        typeof mount === 'string' ? mount.split(':')[0]! : isRecord(mount) ? String(mount.source ?? '') : '';
      const isNamed = source !== '' && !/^[./~$]/.test(source) && !(isRecord(mount) && mount.type === 'bind');
      if (isNamed && typeof mount === 'string' && !mount.includes(':')) continue; // anonymous volume
      if (isNamed) {
        usedVolumes.add(source);
        if (!(source in volumes)) problems.push(`${at} mounts volume ${source}, which is not declared under volumes`);
      }
    }
  }
  for (const name of Object.keys(volumes)) {
    if (!usedVolumes.has(name)) problems.push(`${options.name}: volume ${name} is declared but no service mounts it`);
  }
  if (options.lintFile) problems.push(...lintWithDclint(options.lintFile));
  return problems;
}

/** A service has a health check in the compose file or in the Dockerfile it builds. */
function hasHealthcheck(service: Record<string, unknown>, dir: string): boolean {
  if (isRecord(service.healthcheck)) return service.healthcheck.disable !== true;
  if (isRecord(service.build)) {
    const context = path.resolve(dir, String(service.build.context ?? '.'));
    const file = path.resolve(context, String(service.build.dockerfile ?? 'Dockerfile'));
    return fs.existsSync(file) && /^HEALTHCHECK\s+(?!NONE)/im.test(fs.readFileSync(file, 'utf8'));
  }
  return false;
}

/** dclint's rules that catch mistakes (not its style rules about key order). */
function lintWithDclint(file: string): string[] {
  const linter = new DCLinter({
    rules: {
      'no-build-and-image': 0, // compose builds the image and tags it with the image name
      'no-unbound-port-interfaces': 0, // the dashboard's port is meant to be reachable
      'service-container-name-regex': 0,
      'service-dependencies-alphabetical-order': 0,
      'service-keys-order': 0,
      'service-ports-alphabetical-order': 0,
      'services-alphabetical-order': 0,
      'top-level-properties-order': 0,
      'require-project-name-field': 2,
      'no-duplicate-container-names': 2,
      'no-duplicate-exported-ports': 2,
      'no-quotes-in-volumes': 2,
      'no-version-field': 2,
      'require-quotes-in-ports': 2,
      'service-image-require-explicit-tag': 2,
    },
    quiet: false,
    debug: false,
    exclude: [],
  });
  const problems: string[] = [];
  for (const result of linter.lintFiles([file], false)) {
    for (const message of result.messages) {
      problems.push(`${path.basename(result.filePath)}:${message.line}: dclint ${message.rule}: ${message.message}`);
    }
  }
  return problems;
}
