import { LrnasError } from '@lrnas/schema';
import { exitWithParent } from '@lrnas/schema/node';
import { parseGatewayConfig, startGateway } from './index.js';

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

async function main(): Promise<number> {
  let config;
  try {
    config = parseGatewayConfig(process.env);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const gateway = await startGateway(config, log);
  const reason = await new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
    exitWithParent(() => resolve('parent exited'));
  });
  log(`stopping (${reason})`);
  await gateway.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof LrnasError ? `${error.code}: ${error.message}` : error);
    process.exit(1);
  },
);
