// Checks and installs of system packages the platform needs (Debian's packages, via apt-get).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Absolute path of `name` on PATH (or in `extraDirs`), or undefined. */
export function which(name, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

let aptUpdated = false;

/**
 * Makes sure a binary from a Debian package is there. As root with apt-get it installs the
 * package; otherwise it throws an error that says exactly what to install.
 */
export function ensureBinary({ binary, aptPackage, extraDirs = [], log = console.log }) {
  const found = which(binary, extraDirs);
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = which('apt-get');
  if (!isRoot || !apt) {
    throw new Error(
      `${binary} is not installed. Install it first, e.g. \`sudo apt-get install ${aptPackage}\` ` +
        `on Debian or Ubuntu (or put ${binary} on PATH), then run this again.`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    log(`installing ${aptPackage} with apt-get (first: apt-get update)...`);
    run(apt, ['update', '-qq'], env);
    aptUpdated = true;
  }
  run(apt, ['install', '-y', '-qq', '--no-install-recommends', aptPackage], env);
  const installed = which(binary, extraDirs);
  if (!installed) throw new Error(`apt-get installed ${aptPackage} but ${binary} is still not on PATH`);
  return installed;
}

function run(cmd, args, env) {
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (result.status !== 0) {
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed with exit code ${result.status}`);
  }
}
