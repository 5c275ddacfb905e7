// Finds every *.test.ts of the repository and runs them with Node's test runner through tsx.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const SKIP = new Set(['node_modules', 'dist', '.git', '.lrnas']);

/** Test files under `root`, sorted, unit tests (beside the code) before integration tests. */
export function findTestFiles(root, filters = []) {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.test\.(ts|mts|mjs)$/.test(entry.name)) files.push(path.relative(root, full));
    }
  };
  walk(root);
  const isIntegration = (f) => f.split(path.sep).includes('test');
  return files
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort((a, b) => Number(isIntegration(a)) - Number(isIntegration(b)) || a.localeCompare(b));
}

/**
 * Runs the files; echoes the spec report line by line to `echo`, then a closing
 * `tests: N passed, N failed` line read from the report's own summary. Resolves with the runner's
 * exit code.
 */
export function runTests(root, files, { env, concurrency, echo = console.log }) {
  const args = [
    '--import',
    // Resolved from here rather than from `root`, so that the runner runs files of any folder; and
    // only now, as a fresh clone's launcher installs the dependencies after loading this module.
    import.meta.resolve('tsx'),
    // Fails a file that leaks a handle instead of letting it hang the run (see the guard for why
    // not --test-force-exit).
    '--import',
    import.meta.resolve('./test-leak-guard.mjs'),
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    ...files,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const totals = {};
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      echo(line);
      const summary = /^\u2139 (pass|fail|skipped|todo|cancelled) (\d+)$/.exec(line);
      if (summary) totals[summary[1]] = Number(summary[2]);
    });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('close', (code, signal) => {
      const n = (key) => totals[key] ?? 0;
      echo(`\ntests: ${n('pass')} passed, ${n('fail') + n('cancelled')} failed, ${n('skipped') + n('todo')} skipped`);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
