// NATS checks of the deployments: the authorization block against schema/nats/roles.json, the
// security parts of nats.conf (TLS, the logins, authenticated routes), literal secrets in files,
// and a real nats-server started from a deployment's files in a scratch folder.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitForHttp } from '../../local/lib/ports.mjs';
import { loginOf, type RolePermissions } from '../../nats-auth.mjs';

/** Top-level `name { ... }` blocks of a nats-server configuration (comments dropped), by name. */
export function blocks(text: string): Record<string, string> {
  const lines = text.split('\n').filter((line) => !/^\s*#/.test(line));
  const out: Record<string, string> = {};
  let depth = 0;
  let name: string | undefined;
  let body: string[] = [];
  for (const line of lines) {
    const open = /^\s*([A-Za-z_]+)\s*\{\s*$/.exec(line);
    if (depth === 0 && open) {
      name = open[1]!;
      body = [];
      depth = 1;
      continue;
    }
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    if (name !== undefined && depth === 0) {
      out[name] = body.join('\n');
      name = undefined;
    } else if (name !== undefined) body.push(line);
  }
  return out;
}

/** `key: value` of a block's own lines (not of nested blocks). */
function setting(text: string, key: string): string | undefined {
  const top = text.split('\n').filter((line) => !/^\s*#/.test(line));
  let depth = 0;
  for (const line of top) {
    const match = new RegExp(`^\\s*${key}\\s*[:=]\\s*(.+?)\\s*$`).exec(line);
    if (depth === 0 && match) return match[1];
    depth += (line.match(/\{|\[/g) ?? []).length - (line.match(/\}|\]/g) ?? []).length;
  }
  return undefined;
}

/**
 * Problems of a rendered auth.conf: it must hold exactly one user per role, named lrnas-<role>,
 * with exactly that role's permissions and its password as the reference $NATS_<ROLE>_PASSWORD.
 */
export function checkAuth(text: string, roles: Record<string, RolePermissions>): string[] {
  const problems: string[] = [];
  const users = new Map<string, { password: string; permissions: unknown }>();
  const pattern = /\{\s*user:\s*("[^"]*")\s*password:\s*(\S+)\s*permissions:\s*(\{.*\})\s*\}/g;
  for (const match of text.matchAll(pattern)) {
    const user = JSON.parse(match[1]!) as string;
    if (users.has(user)) problems.push(`user ${user} appears twice`);
    users.set(user, { password: match[2]!, permissions: JSON.parse(match[3]!) });
  }
  if (!/^authorization \{\n {2}users = \[/m.test(text)) problems.push('no authorization { users = [...] } block');
  for (const [role, { publish, subscribe }] of Object.entries(roles)) {
    const { user, passwordVariable } = loginOf(role);
    const found = users.get(user);
    users.delete(user);
    if (!found) {
      problems.push(`role ${role}: no user ${user}`);
      continue;
    }
    if (found.password !== `$${passwordVariable}`) {
      problems.push(`role ${role}: password must be $${passwordVariable}, not ${found.password}`);
    }
    if (JSON.stringify(found.permissions) !== JSON.stringify({ publish, subscribe })) {
      problems.push(`role ${role}: permissions differ from schema/nats/roles.json`);
    }
  }
  for (const user of users.keys()) problems.push(`user ${user} is no role of schema/nats/roles.json`);
  return problems;
}

/**
 * Problems of a deployment's nats.conf: clients must use TLS and log in (the rendered auth.conf);
 * with `cluster`, routes must log in with $NATS_ROUTE_PASSWORD and use TLS with the CA.
 */
export function checkNatsConf(text: string, { cluster }: { cluster: boolean }): string[] {
  const problems: string[] = [];
  const top = blocks(text);
  if (!/^include \.\/auth\.conf$/m.test(text)) problems.push('does not include ./auth.conf (the logins)');
  if (top.authorization !== undefined || /^\s*no_auth_user/m.test(text)) {
    problems.push('has its own authorization or no_auth_user: logins belong in auth.conf');
  }
  const tls = top.tls;
  if (tls === undefined) problems.push('no tls block: clients would talk in plain text');
  else for (const key of ['cert_file', 'key_file']) if (!setting(tls, key)) problems.push(`tls has no ${key}`);
  if (!cluster) {
    if (top.cluster !== undefined) problems.push('has a cluster block, expected none');
    return problems;
  }
  const clusterBlock = top.cluster;
  if (clusterBlock === undefined) return [...problems, 'no cluster block'];
  const inner = blocks(clusterBlock.replace(/^ {2}/gm, ''));
  const auth = inner.authorization;
  if (auth === undefined) problems.push('cluster has no authorization: any server could join as a route');
  else {
    if (!setting(auth, 'user')) problems.push('cluster authorization has no user');
    if (setting(auth, 'password') !== '$NATS_ROUTE_PASSWORD') {
      problems.push('cluster authorization password must be $NATS_ROUTE_PASSWORD');
    }
  }
  const routeTls = inner.tls;
  if (routeTls === undefined) problems.push('cluster has no tls block: routes would talk in plain text');
  else
    for (const key of ['cert_file', 'key_file', 'ca_file'])
      if (!setting(routeTls, key)) problems.push(`cluster tls has no ${key}`);
  return problems;
}

/** Names of settings that hold secrets, and values allowed for them in git. */
const SECRET_NAME = /(password|passwd|secret|token|_KEY\b|\bpass\b)/i;
// Empty, a reference, a documented placeholder or a file path.
const ALLOWED_VALUE = /^(?:$|\$[A-Z_]|\$\{[A-Z_]+|\$\([A-Z_]+\)|CHANGE ME|\/)/;

/**
 * Literal secrets in a deployment file: a password-like setting with a value that is not empty, a
 * reference ($VAR, ${VAR...}, $(VAR)), a documented `CHANGE ME` placeholder or a file path; a
 * password inside a URL; a PEM key or certificate.
 */
export function findSecretLiterals(text: string, where: string): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    const at = `${where}:${i + 1}`;
    if (/^\s*#/.test(line)) return;
    if (/-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----/.test(line)) problems.push(`${at}: PEM block`);
    const url = /:\/\/[^\s:/@]+:([^\s@]+)@/.exec(line);
    if (url && !ALLOWED_VALUE.test(url[1]!)) problems.push(`${at}: password in a URL`);
    const assignment = /^\s*-?\s*["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*(.*?)\s*$/.exec(line);
    if (!assignment || !SECRET_NAME.test(assignment[1]!)) return;
    const value = assignment[2]!.replace(/^["']|["']$/g, '');
    // Kubernetes references name a Secret and its key (`secretName: lrnas-nats-tls`,
    // `key: NATS_WORKER_PASSWORD`), which are no values.
    if (assignment[1] === 'key' || assignment[1] === 'secretName') return;
    if (!ALLOWED_VALUE.test(value)) problems.push(`${at}: ${assignment[1]} has a literal value`);
  });
  return problems;
}

/** Writes `files` (a deployment's NATS folder) into `dir`, with `replace`'s pairs applied to nats.conf. */
export function stage(files: Record<string, string>, dir: string, replace: [string, string][]): string[] {
  const problems: string[] = [];
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    let out = text;
    if (name === 'nats.conf') {
      for (const [from, to] of replace) {
        if (!out.includes(from)) problems.push(`nats.conf has no ${JSON.stringify(from)}`);
        out = out.split(from).join(to);
      }
    }
    fs.writeFileSync(path.join(dir, name), out);
  }
  return problems;
}

/** `sh start.sh --config nats.conf -t` in a staged folder: start.sh's checks, then nats-server's. */
export function testConfig(dir: string, env: Record<string, string>): { status: number | null; output: string } {
  const result = spawnSync('sh', [path.join(dir, 'start.sh'), '--config', path.join(dir, 'nats.conf'), '-t'], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface RunningNats {
  stop(): Promise<void>;
  output(): string;
}

/**
 * nats-server through start.sh from a staged folder, once its monitoring port answers /varz (a
 * clustered node's /healthz waits for the JetStream quorum, i.e. for the other nodes).
 */
export async function startStaged(dir: string, env: Record<string, string>, monitorPort: number): Promise<RunningNats> {
  const child = spawn('sh', [path.join(dir, 'start.sh'), '--config', path.join(dir, 'nats.conf')], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));
  const stop = async () => {
    if (alive) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForHttp(`http://127.0.0.1:${monitorPort}/varz`, 15_000, () => alive);
  } catch (error) {
    await stop();
    throw new Error(`nats-server did not start: ${(error as Error).message}\n${output}`);
  }
  return { stop, output: () => output };
}
