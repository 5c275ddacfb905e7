// Secrets of the deployments: none in git (only documented placeholders that stop the services),
// and infra/secrets.mjs makes every one the manifests and the compose file read.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import {
  fillSecrets,
  k8sDnsNames,
  k8sSecretsYaml,
  makeTls,
  parseEnv,
  SECRET_VARIABLES,
  weakSecrets,
} from '../secrets.mjs';
import { checkCompose } from './lib/compose.js';
import { dockerIgnore, ROOT } from './lib/files.js';
import { kustomize, validateObject, type K8sObject } from './lib/kubernetes.js';
import { findSecretLiterals } from './lib/nats.js';

/** Files of the deployments that git tracks (images, Compose, Kubernetes). */
const tracked = execFileSync('git', ['ls-files', 'infra/compose', 'infra/k8s', 'infra/docker'], {
  cwd: ROOT,
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean);
const PASSWORD_RULE = /^[A-Za-z][A-Za-z0-9]{23,}$/;

describe('deployment secrets', () => {
  it('git holds no password, key or certificate in the deployment files', () => {
    assert.ok(tracked.includes('infra/k8s/base/secrets.yaml') && tracked.includes('infra/compose/.env.example'));
    const problems = tracked.flatMap((file) =>
      findSecretLiterals(fs.readFileSync(path.join(ROOT, file), 'utf8'), file),
    );
    assert.deepEqual(problems, []);
    // What secrets.mjs writes in the repository stays out of git and out of the images' build context.
    const excluded = dockerIgnore(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));
    for (const ignored of ['infra/compose/.env', 'infra/compose/tls/ca.key', 'infra/compose/tls/tls.key']) {
      assert.equal(execFileSync('git', ['check-ignore', ignored], { cwd: ROOT, encoding: 'utf8' }).trim(), ignored);
      assert.ok(excluded(ignored), `.dockerignore excludes ${ignored}`);
    }
    assert.ok(!excluded('services/gateway/src/main.ts'), 'the .dockerignore predicate is not all-excluding');
  });

  it('finds literal passwords, passwords in URLs and PEM blocks (and lets references and placeholders be)', () => {
    const sample = [
      'NATS_WORKER_PASSWORD: hunter2hunter2',
      'password: "s3cret"',
      'DATABASE_URL: postgres://lrnas:pa55word@postgres:5432/lrnas',
      '-----BEGIN EC PRIVATE KEY-----',
      'NATS_ADMIN_PASSWORD=lrnas-admin-password',
      'NATS_PASSWORD: ${NATS_WORKER_PASSWORD:?run node infra/secrets.mjs compose}',
      'password: $NATS_ROUTE_PASSWORD',
      'value: [nats://lrnas-route:$(NATS_ROUTE_PASSWORD)@nats-0:6222]',
      'POSTGRES_PASSWORD: CHANGE ME postgres password',
      'DATABASE_URL: postgres://lrnas:CHANGE ME postgres password@postgres:5432/lrnas',
      'key: NATS_WORKER_PASSWORD',
      'secretName: lrnas-nats-tls',
      'NATS_USER: lrnas-worker',
      'POSTGRES_PASSWORD=',
    ].join('\n');
    assert.deepEqual(findSecretLiterals(sample, 's'), [
      's:1: NATS_WORKER_PASSWORD has a literal value',
      's:2: password has a literal value',
      's:3: password in a URL',
      's:4: PEM block',
      's:5: NATS_ADMIN_PASSWORD has a literal value',
    ]);
  });

  it('fills empty secrets, keeps set ones and replaces the ones named to rotate', () => {
    const filled = parseEnv(fillSecrets('A=\nB=kept\nLRNAS_PORT=4000\n', ['A', 'B', 'C']));
    assert.match(filled.A!, PASSWORD_RULE);
    assert.equal(filled.B, 'kept');
    assert.match(filled.C!, PASSWORD_RULE);
    assert.equal(filled.LRNAS_PORT, '4000');
    const rotated = parseEnv(fillSecrets('A=old\nB=kept\n', ['A', 'B'], ['A']));
    assert.notEqual(rotated.A, 'old');
    assert.equal(rotated.B, 'kept');
    // A value kept from an older .env or typed by hand is named, so the operator can rotate it.
    assert.deepEqual(weakSecrets({ ...filled, B: 'change-me-to-a-long-random-string' }, ['A', 'B', 'C']), ['B']);
  });

  it('the generated .env passes the compose file, with every secret random and fit for NATS', () => {
    const example = fs.readFileSync(path.join(ROOT, 'infra', 'compose', '.env.example'), 'utf8');
    const env = parseEnv(fillSecrets(example, SECRET_VARIABLES));
    for (const name of SECRET_VARIABLES) assert.match(env[name]!, PASSWORD_RULE, name);
    assert.equal(new Set(SECRET_VARIABLES.map((n) => env[n])).size, SECRET_VARIABLES.length, 'all different');
    const file = path.join(ROOT, 'infra', 'compose', 'compose.yaml');
    const text = fs.readFileSync(file, 'utf8');
    assert.deepEqual(checkCompose(text, { name: 'compose.yaml', dir: path.dirname(file), env }), []);
    const names = new Set([...text.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!));
    assert.deepEqual([...names].sort(), SECRET_VARIABLES.filter((n) => n !== 'LRNAS_BOOTSTRAP_KEY').sort());
  });

  it('the generated Kubernetes Secrets are those of base/secrets.yaml, valid, with a certificate for every NATS name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-secrets-'));
    try {
      const env = parseEnv(fillSecrets('', [...SECRET_VARIABLES, 'NATS_ROUTE_PASSWORD']));
      const made = makeTls(path.join(dir, 'tls'), k8sDnsNames('lrnas'));
      assert.deepEqual(made, { newCa: true, newCert: true });
      assert.deepEqual(makeTls(path.join(dir, 'tls'), k8sDnsNames('lrnas')), { newCa: false, newCert: false });
      const secrets = YAML.parseAllDocuments(k8sSecretsYaml(env, path.join(dir, 'tls'), 'lrnas')).map(
        (d) => d.toJS() as K8sObject,
      );
      const placeholders = kustomize(path.join(ROOT, 'infra', 'k8s', 'overlays', 'cpu')).objects.filter(
        (o) => o.kind === 'Secret',
      );
      const keys = (list: K8sObject[]) =>
        list.map((s) => `${s.metadata.name}: ${Object.keys(s.stringData as object).join(' ')}`).sort();
      assert.deepEqual(keys(secrets), keys(placeholders));
      for (const secret of secrets) assert.deepEqual(await validateObject(secret, 'generated'), []);
      const tls = secrets.find((s) => s.metadata.name === 'lrnas-nats-tls')!.stringData as Record<string, string>;
      const cert = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName,extendedKeyUsage'], {
        input: tls['tls.crt'],
        encoding: 'utf8',
      });
      for (const name of ['nats', 'nats.lrnas.svc.cluster.local', '*.nats-headless.lrnas.svc.cluster.local']) {
        assert.ok(cert.includes(`DNS:${name}`), name);
      }
      assert.match(cert, /TLS Web Server Authentication, TLS Web Client Authentication/);
      const verify = path.join(dir, 'verify');
      fs.mkdirSync(verify);
      for (const [key, value] of Object.entries(tls)) fs.writeFileSync(path.join(verify, key), value);
      execFileSync('openssl', ['verify', '-CAfile', 'ca.crt', 'tls.crt'], { cwd: verify, stdio: 'pipe' });
      assert.ok(!Object.values(tls).some((v) => v === fs.readFileSync(path.join(dir, 'tls', 'ca.key'), 'utf8')));
      // A rotated certificate comes from the same CA, so clients keep trusting it.
      const before = fs.readFileSync(path.join(dir, 'tls', 'tls.crt'), 'utf8');
      assert.deepEqual(makeTls(path.join(dir, 'tls'), k8sDnsNames('lrnas'), ['tls']), { newCa: false, newCert: true });
      assert.notEqual(fs.readFileSync(path.join(dir, 'tls', 'tls.crt'), 'utf8'), before);
      execFileSync('openssl', ['verify', '-CAfile', 'ca.crt', 'tls.crt'], {
        cwd: path.join(dir, 'tls'),
        stdio: 'pipe',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
