import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A worker running as a process of its own, as `npm start` and the images run it. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed, in order. */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `services/worker/src/main.ts` with these options; it ends with the test process. */
export function spawnWorkerProcess(args: string[]): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/worker/src/main.ts', ...args], {
    cwd: root,
    env: {
      ...process.env,
      LRNAS_PARENT_PID: String(process.pid),
      // A relative tsconfig path (the npm scripts give one) means something else from the root.
      ...(process.env.TSX_TSCONFIG_PATH && { TSX_TSCONFIG_PATH: path.resolve(process.env.TSX_TSCONFIG_PATH) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output, exited };
}

/** The last lines the workers printed, for a failure message. */
export function tailOf(workers: WorkerProcess[], chars = 3000): string {
  return workers.map((w) => w.output.join('').slice(-chars)).join('\n---\n');
}
