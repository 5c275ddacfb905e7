import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running `entry` (a URL beside the caller: `new URL('./x.ts', import.meta.url)`)
 * with `workerData`. From the TypeScript sources (tsx) the thread registers tsx itself, with the
 * tsconfig this process uses, since a worker does not inherit the loader hooks of `--import tsx`;
 * from built JavaScript it runs the `.js` file of the same name.
 */
export function startThread(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const tsconfig = process.env.TSX_TSCONFIG_PATH;
  const bootstrap =
    `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
    `.then((tsx) => { tsx.register(${tsconfig ? JSON.stringify({ tsconfig }) : ''}); ` +
    `return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** `file` (a `.ts` name) beside `base`, as the sources or the built `.js` has it. */
export function besideModule(file: string, base: string): URL {
  return new URL(base.endsWith('.ts') ? file : file.replace(/\.ts$/, '.js'), base);
}
