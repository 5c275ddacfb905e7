// NATS of the deployments (infra/compose, infra/k8s): logins rendered from schema/nats/roles.json,
// TLS for clients and routes, authenticated routes, secrets made by infra/secrets.mjs and never in
// git. The configuration files run in a real nats-server (Debian's, as `npm test` installs it).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type ConnectionOptions } from 'nats';
import YAML from 'yaml';
import { eventSubject, jobSubject } from '@lrnas/schema';
import { ensureTopology } from '@lrnas/schema/nats';
import { freePort } from '../local/lib/ports.mjs';
import { AUTH_FILES, renderAuth, type RolePermissions } from '../nats-auth.mjs';
import { parseEnv } from '../secrets.mjs';
import { ROOT } from './lib/files.js';
import { kustomize, podSpecOf, type K8sObject } from './lib/kubernetes.js';
import { checkAuth, checkNatsConf, startStaged, stage, testConfig, type RunningNats } from './lib/nats.js';

const ROLES = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'nats', 'roles.json'), 'utf8')) as {
    roles: Record<string, RolePermissions>;
  }
).roles;
const COMPOSE_DIR = path.join(ROOT, 'infra', 'compose');
const build = (overlay: string) => kustomize(path.join(ROOT, 'infra', 'k8s', 'overlays', overlay)).objects;
const OVERLAYS = fs.readdirSync(path.join(ROOT, 'infra', 'k8s', 'overlays')).sort();
const K8S = build('cpu');
const find = (kind: string, name: string, objects = K8S): K8sObject => {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(object, `${kind} ${name} is in the build`);
  return object;
};
/** The k8s NATS files as deployed: the data of ConfigMap nats-config. */
const K8S_FILES = find('ConfigMap', 'nats-config').data as Record<string, string>;
const COMPOSE_FILES = Object.fromEntries(
  ['nats.conf', 'auth.conf', 'start.sh'].map((n) => [n, fs.readFileSync(path.join(COMPOSE_DIR, 'nats', n), 'utf8')]),
);
type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
const containerOf = (object: K8sObject) =>
  (podSpecOf(object)!.containers as { env: Env[]; volumeMounts: { name: string; mountPath: string }[] }[])[0]!;
const composeModel = () =>
  YAML.parse(fs.readFileSync(path.join(COMPOSE_DIR, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, Record<string, unknown>>;
    secrets: Record<string, { file: string }>;
  };

// Real secrets for the runs below, made by the generator as an operator would.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-nats-deploy-'));
const generate = (...args: string[]) => {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'infra', 'secrets.mjs'), ...args], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
};
let composeEnv: Record<string, string>;
let k8sEnv: Record<string, string>;
before(() => {
  generate('compose', path.join(scratch, 'compose'));
  generate('k8s', path.join(scratch, 'k8s'));
  composeEnv = parseEnv(fs.readFileSync(path.join(scratch, 'compose', '.env'), 'utf8'));
  k8sEnv = parseEnv(fs.readFileSync(path.join(scratch, 'k8s', 'secrets.env'), 'utf8'));
});
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const natsEnv = (env: Record<string, string>) =>
  Object.fromEntries(Object.entries(env).filter(([name]) => /^NATS_\w+_PASSWORD$/.test(name)));

/** The Compose nats.conf in `dir`, listening on loopback ports, with the scratch certificates. */
function stageCompose(dir: string, ports: { client: number; monitor: number }) {
  const tls = path.join(scratch, 'compose', 'tls');
  return stage(COMPOSE_FILES, dir, [
    ['listen: 0.0.0.0:4222', `listen: 127.0.0.1:${ports.client}`],
    ['http: 0.0.0.0:8222', `http: 127.0.0.1:${ports.monitor}`],
    ['store_dir: /data', `store_dir: ${JSON.stringify(path.join(dir, 'js'))}`],
    ['/run/secrets/nats-cert', path.join(tls, 'tls.crt')],
    ['/run/secrets/nats-key', path.join(tls, 'tls.key')],
  ]);
}

/** A k8s node's nats.conf in `dir` on loopback ports; routes go to loopback route ports. */
function stageK8s(dir: string, ports: { client: number; monitor: number; route: number }) {
  return stage(K8S_FILES, dir, [
    ['listen: 0.0.0.0:4222', `listen: 127.0.0.1:${ports.client}`],
    ['http: 0.0.0.0:8222', `http: 127.0.0.1:${ports.monitor}`],
    ['listen: 0.0.0.0:6222', `listen: 127.0.0.1:${ports.route}`],
    ['store_dir: /data', `store_dir: ${JSON.stringify(path.join(dir, 'js'))}`],
    ['/var/run/nats', dir],
    ['/etc/nats-tls/', `${path.join(scratch, 'k8s', 'tls')}/`],
  ]);
}

/** The StatefulSet's environment for pod `pod`, $(VAR) expanded as the kubelet does, with `secrets`. */
function k8sPodEnv(pod: string, secrets: Record<string, string>, routeHost: (node: string) => string) {
  const env: Record<string, string> = {};
  for (const entry of containerOf(find('StatefulSet', 'nats')).env) {
    if (entry.name === 'POD_NAME') env.POD_NAME = pod;
    else if (entry.valueFrom?.secretKeyRef) env[entry.name] = secrets[entry.valueFrom.secretKeyRef.key]!;
    else env[entry.name] = entry.value!.replace(/\$\((\w+)\)/g, (_, name: string) => env[name] ?? `$(${name})`);
  }
  for (const name of ['NATS_ROUTES', 'CLUSTER_ADVERTISE']) {
    env[name] = env[name]!.replace(/(nats-\d)\.nats-headless\.lrnas\.svc\.cluster\.local:6222/g, (_, node: string) =>
      routeHost(node),
    );
  }
  return env;
}

describe('NATS logins of the deployments', () => {
  it('auth.conf of Compose and Kubernetes is the rendering of schema/nats/roles.json, deployed as is; one start.sh', () => {
    for (const file of AUTH_FILES) {
      const text = fs.readFileSync(file, 'utf8');
      assert.equal(text, renderAuth(), `${file}: run node infra/nats-auth.mjs`);
      assert.deepEqual(checkAuth(text, ROLES), []);
    }
    assert.equal(K8S_FILES['auth.conf'], renderAuth());
    // One start script for both: a fix in one reaches the other.
    assert.equal(COMPOSE_FILES['start.sh'], K8S_FILES['start.sh']);
    const check = spawnSync(process.execPath, [path.join(ROOT, 'infra', 'nats-auth.mjs'), '--check']);
    assert.equal(check.status, 0, String(check.stderr));
  });

  it('finds a changed permission, a missing or extra user and a literal password', () => {
    const worker = ROLES.worker!;
    const wider = { ...ROLES, worker: { ...worker, publish: { allow: [...worker.publish.allow!, 'lrnas.jobs.>'] } } };
    assert.deepEqual(checkAuth(renderAuth(wider), ROLES), [
      'role worker: permissions differ from schema/nats/roles.json',
    ]);
    const { admin: _admin, ...withoutAdmin } = ROLES;
    assert.deepEqual(checkAuth(renderAuth(withoutAdmin), ROLES), ['role admin: no user lrnas-admin']);
    assert.deepEqual(checkAuth(renderAuth({ ...ROLES, spy: ROLES.admin! }), ROLES), [
      'user lrnas-spy is no role of schema/nats/roles.json',
    ]);
    const literal = renderAuth().replace('$NATS_WORKER_PASSWORD', '"hunter2hunter2hunter2hunter2"');
    assert.match(checkAuth(literal, ROLES).join('\n'), /role worker: password must be \$NATS_WORKER_PASSWORD/);
  });

  it('nats.conf: TLS for clients, the logins, and on Kubernetes routes that log in over TLS', () => {
    assert.deepEqual(checkNatsConf(COMPOSE_FILES['nats.conf']!, { cluster: false }), []);
    assert.deepEqual(checkNatsConf(K8S_FILES['nats.conf']!, { cluster: true }), []);
    // Broken samples: each missing part is named.
    const k8s = K8S_FILES['nats.conf']!;
    const noRouteAuth = k8s.replace(/ {2}authorization \{[^}]*\}\n/, '');
    assert.deepEqual(checkNatsConf(noRouteAuth, { cluster: true }), [
      'cluster has no authorization: any server could join as a route',
    ]);
    const noTls = k8s.replace(/^tls \{[^}]*\}\n/m, '').replace(/ {2}tls \{[^}]*\}\n/, '');
    assert.deepEqual(checkNatsConf(noTls, { cluster: true }), [
      'no tls block: clients would talk in plain text',
      'cluster has no tls block: routes would talk in plain text',
    ]);
    const open = COMPOSE_FILES['nats.conf']!.replace('include ./auth.conf', 'no_auth_user: lrnas-admin');
    assert.deepEqual(checkNatsConf(open, { cluster: false }), [
      'does not include ./auth.conf (the logins)',
      'has its own authorization or no_auth_user: logins belong in auth.conf',
    ]);
  });

  it('Kubernetes: passwords from Secret lrnas-nats, routes to every node carrying the route login', () => {
    const nats = containerOf(find('StatefulSet', 'nats'));
    const names = nats.env.map((e) => e.name);
    const referenced = new Set(
      [...`${K8S_FILES['nats.conf']}${K8S_FILES['auth.conf']}`.matchAll(/\$(NATS_\w+_PASSWORD)/g)].map((m) => m[1]!),
    );
    assert.deepEqual([...referenced].sort(), Object.keys(natsEnv(k8sEnv)).sort());
    for (const name of referenced) {
      const entry = nats.env.find((e) => e.name === name);
      assert.deepEqual(entry?.valueFrom, { secretKeyRef: { name: 'lrnas-nats', key: name } }, name);
    }
    // The kubelet expands $(VAR) only for variables defined earlier in the list.
    assert.ok(names.indexOf('NATS_ROUTE_PASSWORD') < names.indexOf('NATS_ROUTES'));
    assert.ok(names.indexOf('POD_NAME') < names.indexOf('CLUSTER_ADVERTISE'));
    const routes = nats.env.find((e) => e.name === 'NATS_ROUTES')!.value!;
    assert.deepEqual(
      routes.slice(1, -1).split(/,\s*/),
      [0, 1, 2].map(
        (i) => `nats://lrnas-route:$(NATS_ROUTE_PASSWORD)@nats-${i}.nats-headless.lrnas.svc.cluster.local:6222`,
      ),
    );
    const mounts = Object.fromEntries(nats.volumeMounts.map((m) => [m.mountPath, m.name]));
    assert.equal(mounts['/etc/nats'], 'config');
    const volumes = podSpecOf(find('StatefulSet', 'nats'))!.volumes as {
      name: string;
      secret?: { secretName: string };
    }[];
    assert.equal(volumes.find((v) => v.name === mounts['/etc/nats-tls'])?.secret?.secretName, 'lrnas-nats-tls');
  });

  it('gateway and workers log in with their own role, over TLS, trusting only the CA certificate', () => {
    const compose = composeModel();
    for (const [service, role] of [
      ['gateway', 'gateway'],
      ['worker-cpu', 'worker'],
      ['worker-gpu', 'worker'],
    ] as const) {
      const env = compose.services[service]!.environment as Record<string, string>;
      assert.equal(env.NATS_USER, `lrnas-${role}`, service);
      assert.match(env.NATS_PASSWORD!, new RegExp(`^\\$\\{NATS_${role.toUpperCase()}_PASSWORD:\\?`), service);
      assert.match(env.NATS_URL!, /^tls:\/\//, service);
      assert.equal(env.NODE_EXTRA_CA_CERTS, '/run/secrets/nats-ca', service);
      assert.deepEqual(compose.services[service]!.secrets, ['nats-ca'], service);
    }
    assert.equal(compose.secrets['nats-ca']!.file, './tls/ca.crt');
    const natsService = compose.services.nats!;
    assert.deepEqual(natsService.entrypoint, ['/bin/sh', '/etc/nats/start.sh']);
    assert.ok((natsService.volumes as string[]).includes('./nats:/etc/nats:ro'));
    assert.deepEqual(Object.keys(natsService.environment as object).sort(), Object.keys(natsEnv(composeEnv)).sort());

    const deployments = OVERLAYS.flatMap((overlay) =>
      (['gateway', 'worker'] as const).map((role) => [find('Deployment', role, build(overlay)), role] as const),
    );
    assert.equal(deployments.length, 6);
    for (const [object, role] of deployments) {
      const { env, volumeMounts } = containerOf(object);
      const get = (name: string) => env.find((e) => e.name === name);
      assert.equal(get('NATS_USER')?.value, `lrnas-${role}`);
      assert.deepEqual(get('NATS_PASSWORD')?.valueFrom, {
        secretKeyRef: { name: 'lrnas-nats', key: `NATS_${role.toUpperCase()}_PASSWORD` },
      });
      assert.match(get('NATS_URL')!.value!, /^tls:\/\//);
      assert.equal(get('NODE_EXTRA_CA_CERTS')?.value, '/etc/nats-ca/ca.crt');
      const mount = volumeMounts.find((m) => m.mountPath === '/etc/nats-ca')!;
      const volumes = podSpecOf(object)!.volumes as { name: string; secret?: unknown }[];
      // Only the CA certificate: never the servers' key.
      assert.deepEqual(volumes.find((v) => v.name === mount.name)?.secret, {
        secretName: 'lrnas-nats-tls',
        items: [{ key: 'ca.crt', path: 'ca.crt' }],
      });
    }
  });

  it('start.sh and nats-server -t take the files with generated secrets, and refuse placeholders', async () => {
    const ports = { client: await freePort(), monitor: await freePort(), route: await freePort() };
    const composeDir = path.join(scratch, 'check-compose');
    assert.deepEqual(stageCompose(composeDir, ports), []);
    const good = testConfig(composeDir, natsEnv(composeEnv));
    assert.equal(good.status, 0, good.output);
    const k8sDir = path.join(scratch, 'check-k8s');
    assert.deepEqual(stageK8s(k8sDir, ports), []);
    const podEnv = k8sPodEnv('nats-0', k8sEnv, (node) => `localhost:${ports.route + Number(node.slice(-1))}`);
    const k8s = testConfig(k8sDir, podEnv);
    assert.equal(k8s.status, 0, k8s.output);

    // The placeholders of infra/k8s/base/secrets.yaml, an empty and a short password are refused.
    const placeholders = find('Secret', 'lrnas-nats').stringData as Record<string, string>;
    const refused = /refusing to start: NATS_\w+_PASSWORD must be 24 or more letters and digits/;
    assert.match(
      testConfig(
        k8sDir,
        k8sPodEnv('nats-0', placeholders, () => 'localhost:1'),
      ).output,
      refused,
    );
    for (const weak of ['', 'short1', '1abcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnopqrstuvwxy#']) {
      const result = testConfig(composeDir, { ...natsEnv(composeEnv), NATS_WORKER_PASSWORD: weak });
      assert.notEqual(result.status, 0, weak);
      assert.match(result.output, refused, weak);
    }
    // nats-server refuses a missing variable and an unknown setting.
    const { NATS_ADMIN_PASSWORD: _admin, ...missing } = natsEnv(composeEnv);
    assert.match(testConfig(composeDir, missing).output, /NATS_ADMIN_PASSWORD.*can not be found/);
    fs.writeFileSync(
      path.join(k8sDir, 'nats.conf'),
      fs.readFileSync(path.join(k8sDir, 'nats.conf'), 'utf8').replace('lame_duck_duration', 'lame_duck_duraton'),
    );
    assert.match(testConfig(k8sDir, podEnv).output, /unknown field "lame_duck_duraton"/);
  });
});

/** Connects with `options`; the error message when refused. */
async function tryConnect(options: ConnectionOptions): Promise<string> {
  try {
    const nc = await connect({ reconnect: false, timeout: 5000, ...options });
    await nc.close();
    return 'connected';
  } catch (error) {
    return (error as Error).message;
  }
}

/** What a plain-text client that logs in and pings hears back before the server closes (or 2 s pass). */
function plainTextSession(port: number, { user, pass }: { user: string; pass: string }): Promise<string> {
  return new Promise((resolve) => {
    let heard = '';
    const socket = net.connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(heard);
    };
    const timer = setTimeout(done, 2000);
    socket.on('data', (chunk) => {
      if (heard === '') socket.write(`CONNECT ${JSON.stringify({ user, pass, verbose: false })}\r\nPING\r\n`);
      heard += chunk.toString('latin1');
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}

/** A Node.js process that trusts the CA only through NODE_EXTRA_CA_CERTS, as gateway and workers do. */
function connectFromChild(url: string, user: string, pass: string, ca: string | undefined): Promise<string> {
  const code = `import('nats').then(({ connect }) => connect({ servers: process.env.URL, user: process.env.U, pass: process.env.P, reconnect: false }))
    .then((nc) => nc.close().then(() => console.log('connected')), (e) => console.log(e.message))`;
  const env = { PATH: process.env.PATH, URL: url, U: user, P: pass, ...(ca && { NODE_EXTRA_CA_CERTS: ca }) };
  return new Promise((resolve) =>
    execFile(process.execPath, ['-e', code], { env, cwd: ROOT }, (_, stdout) => resolve(stdout.trim())),
  );
}

describe('the Compose NATS server, run from its files', () => {
  let server: RunningNats;
  let url: string;
  const ca = () => fs.readFileSync(path.join(scratch, 'compose', 'tls', 'ca.crt'), 'utf8');
  const login = (role: string) => ({
    user: `lrnas-${role}`,
    pass: composeEnv[`NATS_${role.toUpperCase()}_PASSWORD`]!,
    tls: { ca: ca() },
  });
  before(async () => {
    const ports = { client: await freePort(), monitor: await freePort() };
    const dir = path.join(scratch, 'run-compose');
    assert.deepEqual(stageCompose(dir, ports), []);
    server = await startStaged(dir, natsEnv(composeEnv), ports.monitor);
    url = `tls://localhost:${ports.client}`;
  });
  after(() => server?.stop());

  it('takes only TLS clients that trust the CA and log in', async () => {
    assert.equal(
      await connectFromChild(
        url,
        'lrnas-gateway',
        composeEnv.NATS_GATEWAY_PASSWORD!,
        path.join(scratch, 'compose', 'tls', 'ca.crt'),
      ),
      'connected',
    );
    assert.match(
      await connectFromChild(url, 'lrnas-gateway', composeEnv.NATS_GATEWAY_PASSWORD!, undefined),
      /certificate/,
    );
    assert.match(await tryConnect({ servers: url, tls: { ca: ca() } }), /Authorization Violation/);
    assert.match(
      await tryConnect({ ...login('worker'), servers: url, user: 'lrnas-gateway' }),
      /Authorization Violation/,
    );
    // A client that asks for no TLS is refused, not served in plain text.
    // A client speaking plain text with the right login is not served (no PONG), only told TLS is required.
    const plain = await plainTextSession(Number(new URL(url).port), login('gateway'));
    assert.match(plain, /^INFO .*"tls_required":true/);
    assert.doesNotMatch(plain, /PONG/);
  });

  it('enforces the roles: a worker cannot publish jobs, the gateway cannot publish events', async () => {
    const admin = await connect({ servers: url, ...login('admin') });
    const worker = await connect({ servers: url, ...login('worker') });
    const gateway = await connect({ servers: url, ...login('gateway') });
    try {
      await ensureTopology(await admin.jetstreamManager());
      const refused = /Permissions Violation/;
      await assert.rejects(worker.jetstream().publish(jobSubject('search'), new Uint8Array(1)), refused);
      await assert.rejects(gateway.jetstream().publish(eventSubject('run-d', 'log'), new Uint8Array(1)), refused);
      assert.ok((await worker.jetstream().publish(eventSubject('run-d', 'log'), new Uint8Array(1))).seq > 0);
      assert.ok((await gateway.jetstream().publish(jobSubject('search'), new Uint8Array(1))).seq > 0);
    } finally {
      await Promise.all([admin.close(), worker.close(), gateway.close()]);
    }
  });
});

describe('the Kubernetes NATS cluster, run from its files', () => {
  const nodes: RunningNats[] = [];
  type Ports = { client: number; monitor: number; route: number };
  const ports: Ports[] = [];
  const routez = async (monitor: number) =>
    ((await (await fetch(`http://127.0.0.1:${monitor}/routez`)).json()) as { num_routes: number }).num_routes;
  const waitFor = async (what: string, check: () => Promise<boolean>) => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`timed out waiting for ${what}`);
  };
  const start = async (pod: string, p: Ports, secrets: Record<string, string>, edit = (text: string) => text) => {
    const dir = path.join(scratch, `run-${pod}`);
    assert.deepEqual(stageK8s(dir, p), []);
    fs.writeFileSync(path.join(dir, 'nats.conf'), edit(fs.readFileSync(path.join(dir, 'nats.conf'), 'utf8')));
    const routeOf = (node: string) => `localhost:${ports[Number(node.slice(-1))]!.route}`;
    return startStaged(dir, k8sPodEnv(pod, secrets, routeOf), p.monitor);
  };
  before(async () => {
    for (let i = 0; i < 3; i++)
      ports.push({ client: await freePort(), monitor: await freePort(), route: await freePort() });
    nodes.push(...(await Promise.all(ports.map((p, i) => start(`nats-${i}`, p, k8sEnv)))));
  });
  after(() => Promise.all(nodes.map((n) => n.stop())));

  it('three nodes form a cluster over TLS routes that log in', async () => {
    await waitFor('every node to have 2 routes', async () =>
      (await Promise.all(ports.map((p) => routez(p.monitor)))).every((n) => n === 2),
    );
  });

  it('refuses a server with the wrong route password, or without TLS on its routes', async () => {
    const wrong = { client: await freePort(), monitor: await freePort(), route: await freePort() };
    const plain = { client: await freePort(), monitor: await freePort(), route: await freePort() };
    const intruders = [
      await start('intruder-0', wrong, { ...k8sEnv, NATS_ROUTE_PASSWORD: 'Wrong0000000000000000000000000000' }),
      await start('intruder-1', plain, k8sEnv, (text) => text.replace(/\n {2}tls \{[^}]*\}/, '')),
    ];
    nodes.push(...intruders);
    // The cluster's own nodes say why they closed the intruders' routes.
    const logs = () =>
      nodes
        .slice(0, 3)
        .map((n) => n.output())
        .join('\n');
    await waitFor(
      'the cluster to refuse both intruders',
      async () => /authentication error - User "lrnas-route"/.test(logs()) && /TLS route handshake error/.test(logs()),
    );
    assert.equal(await routez(wrong.monitor), 0);
    assert.equal(await routez(plain.monitor), 0);
    for (const p of ports) assert.equal(await routez(p.monitor), 2);
  });
});
