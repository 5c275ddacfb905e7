#!/usr/bin/env node
// Makes the secrets of a deployment: random passwords and keys, and the TLS certificates of NATS
// (a CA of the deployment's own and the servers' certificate, made with openssl). Nothing written
// here belongs in git (infra/.gitignore). Existing values stay; --rotate names what to replace.
//
//   node infra/secrets.mjs compose [DIR]       # DIR: infra/compose
//     DIR/.env from .env.example, every empty secret filled; DIR/tls/ (CA, NATS certificate).
//   node infra/secrets.mjs k8s DIR [--namespace lrnas]
//     DIR/secrets.env (the passwords, kept for later runs), DIR/tls/, and DIR/secrets.yaml: the
//     Secrets of infra/k8s/base/secrets.yaml with real values, for `kubectl apply -f`.
//   --rotate NAME[,NAME]   a variable (NATS_WORKER_PASSWORD...), `tls` (new server certificate,
//                          same CA) or `ca` (new CA and certificate); see infra/README.md.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const INFRA = path.dirname(fileURLToPath(import.meta.url));
const ENV_EXAMPLE = path.join(INFRA, 'compose', '.env.example');

/** The variables that hold secrets; every other variable of .env.example is a setting. */
export const SECRET_VARIABLES = [
  'POSTGRES_PASSWORD',
  'LRNAS_BOOTSTRAP_KEY',
  'NATS_GATEWAY_PASSWORD',
  'NATS_WORKER_PASSWORD',
  'NATS_ADMIN_PASSWORD',
];
/** Kubernetes runs a NATS cluster: its routes log in too. */
export const K8S_VARIABLES = [...SECRET_VARIABLES, 'NATS_ROUTE_PASSWORD'];

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/**
 * 32 random letters and digits, the first a letter (about 190 bits): what the NATS start script
 * accepts (nats-server parses the variable, so no punctuation), and safe in a URL and an API key.
 */
export function newSecret(length = 32) {
  const alphabet = `${LETTERS}0123456789`;
  let out = LETTERS[crypto.randomInt(LETTERS.length)];
  while (out.length < length) out += alphabet[crypto.randomInt(alphabet.length)];
  return out;
}

/** `text` (KEY=VALUE lines) with each of `names` that is empty, missing or in `rotate` given a new secret. */
export function fillSecrets(text, names, rotate = []) {
  const lines = text.split('\n');
  for (const name of names) {
    const index = lines.findIndex((line) => line.startsWith(`${name}=`));
    const current = index >= 0 ? lines[index].slice(name.length + 1) : '';
    if (current !== '' && !rotate.includes(name)) continue;
    const line = `${name}=${newSecret()}`;
    if (index >= 0) lines[index] = line;
    else lines.splice(lines.at(-1) === '' ? lines.length - 1 : lines.length, 0, line);
  }
  return lines.join('\n');
}

/**
 * The `names` whose value in `env` is not what newSecret makes (24 or more letters and digits, the
 * first a letter): kept from an older .env (the old example's POSTGRES_PASSWORD was a fixed text in
 * git) or typed by hand. NATS refuses such passwords; the others deserve a rotation.
 */
export function weakSecrets(env, names) {
  return names.filter((name) => !/^[A-Za-z][A-Za-z0-9]{23,}$/.test(env[name] ?? ''));
}

/** KEY=VALUE lines as an object (comments and blank lines skipped). */
export function parseEnv(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) out[match[1]] = match[2];
  }
  return out;
}

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`openssl ${args[0]} failed (is openssl installed?): ${String(error.stderr ?? error.message)}`);
  }
}

/**
 * DIR/ca.crt and ca.key (the CA; its key never goes into a container or a Secret), tls.crt and
 * tls.key (the NATS servers', naming `dnsNames` and 127.0.0.1, valid as server and as route client),
 * each made when missing or rotated (`ca` makes both anew). EC P-256 keys; the servers' certificate
 * lasts 825 days, the CA 10 years. Returns what was made.
 */
export function makeTls(dir, dnsNames, rotate = []) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const has = (file) => fs.existsSync(path.join(dir, file));
  const newCa = rotate.includes('ca') || !has('ca.crt') || !has('ca.key');
  const newCert = newCa || rotate.includes('tls') || !has('tls.crt') || !has('tls.key');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  if (newCa) {
    openssl(
      ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=LRNAS NATS CA'],
      dir,
    );
  }
  if (newCert) {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-tls-'));
    try {
      const csr = path.join(scratch, 'tls.csr');
      const ext = path.join(scratch, 'ext.cnf');
      fs.writeFileSync(
        ext,
        [
          `subjectAltName=${[...dnsNames.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',')}`,
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          // serverAuth for clients and incoming routes, clientAuth for the routes a node dials.
          'extendedKeyUsage=serverAuth,clientAuth',
          '',
        ].join('\n'),
      );
      openssl(['req', '-new', ...ec, '-keyout', 'tls.key', '-out', csr, '-subj', `/CN=${dnsNames[0]}`], dir);
      const serial = `0x${crypto.randomBytes(16).toString('hex')}`;
      openssl(
        ['x509', '-req', '-in', csr, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', serial, '-days', '825'].concat(
          ['-extfile', ext, '-out', 'tls.crt'],
        ),
        dir,
      );
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
  for (const file of ['ca.key', 'tls.key']) fs.chmodSync(path.join(dir, file), 0o600);
  // The gateway and workers (uid 1000 in their images) read the CA certificate from a bind mount.
  for (const file of ['ca.crt', 'tls.crt']) fs.chmodSync(path.join(dir, file), 0o644);
  return { newCa, newCert };
}

/** The names the NATS certificate must hold on Kubernetes: Service nats and each node of nats-headless. */
export function k8sDnsNames(namespace) {
  const suffixes = ['', `.${namespace}`, `.${namespace}.svc`, `.${namespace}.svc.cluster.local`];
  return [...suffixes.map((s) => `nats${s}`), ...suffixes.map((s) => `*.nats-headless${s}`), 'localhost'];
}

/** The Secrets of infra/k8s/base/secrets.yaml with `env`'s values and DIR/tls's certificates. */
export function k8sSecretsYaml(env, tlsDir, namespace) {
  const read = (file) => fs.readFileSync(path.join(tlsDir, file), 'utf8');
  const secret = (name, type, data) =>
    [
      'apiVersion: v1',
      'kind: Secret',
      `metadata: {name: ${name}, namespace: ${namespace}}`,
      `type: ${type}`,
      'stringData:',
      // JSON strings are YAML strings: no quoting mistakes with any value.
      ...Object.entries(data).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`),
    ].join('\n');
  return `# Made by node infra/secrets.mjs: never commit it.\n${[
    secret('lrnas-db', 'Opaque', {
      POSTGRES_PASSWORD: env.POSTGRES_PASSWORD,
      DATABASE_URL: `postgres://lrnas:${env.POSTGRES_PASSWORD}@postgres:5432/lrnas`,
    }),
    secret('lrnas-api', 'Opaque', { LRNAS_BOOTSTRAP_KEY: env.LRNAS_BOOTSTRAP_KEY, LRNAS_BOOTSTRAP_TEAM: 'default' }),
    secret(
      'lrnas-nats',
      'Opaque',
      Object.fromEntries(K8S_VARIABLES.filter((n) => n.startsWith('NATS_')).map((n) => [n, env[n]])),
    ),
    secret('lrnas-nats-tls', 'kubernetes.io/tls', {
      'ca.crt': read('ca.crt'),
      'tls.crt': read('tls.crt'),
      'tls.key': read('tls.key'),
    }),
  ].join('\n---\n')}\n`;
}

function writePrivate(file, text) {
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { rotate: { type: 'string', default: '' }, namespace: { type: 'string', default: 'lrnas' } },
  });
  const rotate = values.rotate.split(',').filter(Boolean);
  const [target, dirArg] = positionals;
  const known = [...K8S_VARIABLES, 'tls', 'ca'];
  const unknown = rotate.filter((name) => !known.includes(name));
  if (unknown.length || (target !== 'compose' && target !== 'k8s') || (target === 'k8s' && !dirArg)) {
    console.error('usage: node infra/secrets.mjs compose [DIR] | k8s DIR [--namespace NS] [--rotate NAME,...]');
    if (unknown.length) console.error(`--rotate takes ${known.join(', ')}; got ${unknown.join(', ')}`);
    process.exit(2);
  }
  const dir = path.resolve(dirArg ?? path.join(INFRA, 'compose'));
  fs.mkdirSync(dir, { recursive: true });
  const envFile = path.join(dir, target === 'compose' ? '.env' : 'secrets.env');
  const template = target === 'compose' ? fs.readFileSync(ENV_EXAMPLE, 'utf8') : '';
  const before = fs.existsSync(envFile) ? fs.readFileSync(envFile, 'utf8') : template;
  const after = fillSecrets(before, target === 'compose' ? SECRET_VARIABLES : K8S_VARIABLES, rotate);
  writePrivate(envFile, after);
  const changed = Object.entries(parseEnv(after))
    .filter(([name, value]) => parseEnv(before)[name] !== value)
    .map(([name]) => name);
  console.log(`${envFile}: ${changed.length ? `new ${changed.join(', ')}` : 'unchanged'}`);
  for (const name of weakSecrets(parseEnv(after), target === 'compose' ? SECRET_VARIABLES : K8S_VARIABLES)) {
    const how = name === 'POSTGRES_PASSWORD' ? ' after changing it in PostgreSQL (infra/README.md, rotation)' : '';
    console.warn(`warning: ${name} is not a generated secret: replace it with --rotate ${name}${how}`);
  }
  const tlsDir = path.join(dir, 'tls');
  const names = target === 'compose' ? ['nats', 'localhost'] : k8sDnsNames(values.namespace);
  const made = makeTls(tlsDir, names, rotate);
  console.log(`${tlsDir}: ${made.newCa ? 'new CA and certificate' : made.newCert ? 'new certificate' : 'unchanged'}`);
  if (target === 'k8s') {
    const file = path.join(dir, 'secrets.yaml');
    writePrivate(file, k8sSecretsYaml(parseEnv(after), tlsDir, values.namespace));
    console.log(`${file}: kubectl apply -f ${path.relative(process.cwd(), file)}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) main();
