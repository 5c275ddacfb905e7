import { LrnasError } from '@lrnas/schema';
import { parseWorkerConfig, startWorker, WORKER_USAGE } from './index.js';
import { exitWithParent } from '@lrnas/schema/node';

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

async function main(): Promise<number> {
  let config;
  try {
    config = parseWorkerConfig(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${WORKER_USAGE}`);
    return 2;
  }
  if (config === 'help') {
    console.log(WORKER_USAGE);
    return 0;
  }
  const worker = await startWorker(config, log);
  const stopped = new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
    exitWithParent(() => resolve('parent exited'));
  });
  const reason = await Promise.race([
    stopped,
    worker.closed.then((e) => `connection closed${e ? `: ${e.message}` : ''}`),
  ]);
  log(`stopping (${reason})`);
  await worker.stop().catch(() => undefined);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof LrnasError ? `${error.code}: ${error.message}` : error);
    process.exit(1);
  },
);
