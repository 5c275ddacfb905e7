import os from 'node:os';
import { parseArgs } from 'node:util';
import { ContractError, natsServers } from '@lrnas/schema';
import { checkLogin, type NatsLogin } from '@lrnas/schema/nats';

/** Everything a worker process is told at start, validated. */
export interface WorkerConfig {
  natsUrl: string;
  /** Who the worker is to NATS (the `worker` role's user where the server asks for one). */
  natsLogin?: NatsLogin;
  workerId: string;
  concurrency: number;
  backend?: string;
  dataDir: string;
  /** Parent of the jobs' working folders; default a folder per worker under the OS temp dir. */
  workDir?: string;
  /** Copies of each stream and bucket the worker creates (3 on a three-node JetStream cluster). */
  natsReplicas?: number;
  /** Port of the /metrics and /healthz endpoint; 0 picks a free one; undefined serves none. */
  metricsPort?: number;
}

export const WORKER_USAGE = `Usage: lrnas-worker [options]

Runs LRNAS jobs (search, train, evaluate and pipeline) from the JetStream work queue, storing
checkpoints and results in the lrnas-artifacts object store, so that a job another worker dropped
resumes from its last checkpoint. AckWait and the maximum deliveries are the shared consumer's
(lrnas-workers); the worker heartbeats four times per AckWait. On SIGTERM it checkpoints, hands
its jobs back and exits. Every option can also be set by the variable named.

  --nats-url URLS      NATS server, or several separated by commas (NATS_URL; default nats://127.0.0.1:4222)
  --nats-user USER     NATS user (NATS_USER), with --nats-password (NATS_PASSWORD)
  --nats-token TOKEN   NATS token (NATS_TOKEN)
  --nats-nkey-seed SEED
                       NATS nkey user seed, SU... (NATS_NKEY_SEED, which keeps it out of ps); one login
                       of the three
  --nats-replicas N    copies of each stream and bucket it creates, 1 to 5 (LRNAS_NATS_REPLICAS; default 1;
                       3 on a three-node JetStream cluster)
  --id ID              worker id, letters, digits, - and _ (LRNAS_WORKER_ID; default host-pid)
  --concurrency N      jobs at a time, 1 to 64 (LRNAS_WORKER_CONCURRENCY; default 1)
  --backend NAME       auto, node-gpu, webgpu, node, wasm or cpu (LRNAS_BACKEND; default auto; webgpu
                       on a software adapter only when named)
  --data-dir DIR       where data sets are read from (LRNAS_DATA_DIR; default .lrnas/data)
  --work-dir DIR       scratch folder for running jobs (LRNAS_WORK_DIR; default <tmp>/lrnas-worker/<id>)
  --metrics-port PORT  Prometheus /metrics and /healthz on this port, 0 for any free one, off for none
                       (LRNAS_METRICS_PORT; default 9464)
  -h, --help           this text`;

/** Reads flags over environment variables; throws a ContractError naming the bad option. */
export function parseWorkerConfig(argv: string[], env: NodeJS.ProcessEnv): WorkerConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'nats-url': { type: 'string' },
      'nats-user': { type: 'string' },
      'nats-password': { type: 'string' },
      'nats-token': { type: 'string' },
      'nats-nkey-seed': { type: 'string' },
      id: { type: 'string' },
      concurrency: { type: 'string' },
      backend: { type: 'string' },
      'data-dir': { type: 'string' },
      'work-dir': { type: 'string' },
      'nats-replicas': { type: 'string' },
      'metrics-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const natsUrl = values['nats-url'] ?? env.NATS_URL ?? 'nats://127.0.0.1:4222';
  natsServers(natsUrl, '--nats-url');
  const natsReplicas = wholeNumber('--nats-replicas', values['nats-replicas'] ?? env.LRNAS_NATS_REPLICAS ?? '1', 1, 5);
  const metricsText = values['metrics-port'] ?? env.LRNAS_METRICS_PORT ?? '9464';
  const metricsPort = metricsText === 'off' ? undefined : wholeNumber('--metrics-port', metricsText, 0, 65535);
  const workerId =
    values.id ?? env.LRNAS_WORKER_ID ?? `${os.hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(workerId)) {
    throw new ContractError('--id', `must be 1 to 64 letters, digits, "-" or "_", got ${JSON.stringify(workerId)}`);
  }
  const concurrency = wholeNumber('--concurrency', values.concurrency ?? env.LRNAS_WORKER_CONCURRENCY ?? '1', 1, 64);
  const optional = (flag: string | undefined, variable: string | undefined) => flag ?? (variable || undefined);
  const user = optional(values['nats-user'], env.NATS_USER);
  const password = optional(values['nats-password'], env.NATS_PASSWORD);
  const token = optional(values['nats-token'], env.NATS_TOKEN);
  const nkeySeed = optional(values['nats-nkey-seed'], env.NATS_NKEY_SEED);
  const natsLogin = checkLogin(
    {
      ...(user !== undefined && { user }),
      ...(password !== undefined && { password }),
      ...(token !== undefined && { token }),
      ...(nkeySeed !== undefined && { nkeySeed }),
    },
    { user: '--nats-user', password: '--nats-password', token: '--nats-token', nkeySeed: '--nats-nkey-seed' },
  );
  return {
    natsUrl,
    natsLogin,
    workerId,
    concurrency,
    natsReplicas,
    ...(metricsPort !== undefined && { metricsPort }),
    ...(optional(values.backend, env.LRNAS_BACKEND) !== undefined && {
      backend: optional(values.backend, env.LRNAS_BACKEND),
    }),
    dataDir: values['data-dir'] ?? (env.LRNAS_DATA_DIR ? `${env.LRNAS_DATA_DIR}/data` : '.lrnas/data'),
    ...(optional(values['work-dir'], env.LRNAS_WORK_DIR) !== undefined && {
      workDir: optional(values['work-dir'], env.LRNAS_WORK_DIR),
    }),
  };
}

function wholeNumber(option: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new ContractError(option, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}
