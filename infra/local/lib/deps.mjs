// Installs the npm dependencies of a fresh clone, so `npm start` and `npm test` work right away.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const mtime = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0);

/** Runs `npm ci` when node_modules is missing or older than package-lock.json. */
export function ensureDependencies(root, log) {
  const lock = path.join(root, 'package-lock.json');
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  if (mtime(installed) === 0 || mtime(lock) > mtime(installed)) {
    log('installing npm dependencies (npm ci; the first time builds better-sqlite3, about 2 minutes)...');
    npm(root, ['ci', '--no-audit', '--no-fund']);
  }
  // A native addon whose build was skipped leaves the package without its binary.
  const addon = path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  if (fs.existsSync(path.join(root, 'node_modules', 'better-sqlite3')) && !fs.existsSync(addon)) {
    log('building better-sqlite3...');
    npm(root, ['rebuild', 'better-sqlite3']);
  }
}

/** Builds the dashboard when its bundle is missing or older than its sources. */
export function ensureWebBuild(root, log) {
  const web = path.join(root, 'web');
  const bundle = path.join(web, 'dist', 'index.html');
  const newest = Math.max(
    newestMtime(path.join(web, 'src')),
    mtime(path.join(web, 'index.html')),
    newestMtime(path.join(root, 'schema', 'src')),
  );
  if (mtime(bundle) >= newest) return;
  log('building the dashboard (vite build)...');
  npm(root, ['run', 'build', '--silent', '-w', '@lrnas/web']);
}

function newestMtime(dir) {
  if (!fs.existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, mtime(path.join(entry.parentPath ?? entry.path, entry.name)));
  }
  return newest;
}

function npm(root, args) {
  const result = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed with exit code ${result.status}`);
}
