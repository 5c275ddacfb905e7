import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The engine at a git ref, extracted for --compare: its src directory and the commit it came from. */
export interface EngineCheckout {
  engineSrc: string;
  commit: string;
}

/**
 * Extracts services/engine (src and package.json) at `ref` into a temporary directory whose node_modules is a
 * link to the repository's, so the old engine runs against the same TF.js and schema packages. Reused when
 * the commit was extracted before.
 */
export function checkoutEngine(repoRoot: string, ref: string): EngineCheckout {
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' }).trim();
  let commit: string;
  try {
    commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  } catch {
    throw new Error(`--compare: ${JSON.stringify(ref)} is not a commit of ${repoRoot}`);
  }
  const dir = path.join(os.tmpdir(), `lrnas-bench-engine-${commit.slice(0, 12)}`);
  const engineSrc = path.join(dir, 'services', 'engine', 'src');
  if (!fs.existsSync(path.join(engineSrc, 'index.ts'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const archive = execFileSync(
      'git',
      ['-C', repoRoot, 'archive', '--format=tar', commit, 'services/engine/src', 'services/engine/package.json'],
      // The engine's sources outgrew execFileSync's default 1 MB output buffer.
      { maxBuffer: 256 * 2 ** 20 },
    );
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  }
  return { engineSrc, commit };
}

/**
 * The repository root (for git), from any directory inside it; in a copy without git (the device check's,
 * infra/device-check) the folder three levels above `from`, services/engine/bench's root.
 */
export function repositoryRoot(from: string): string {
  try {
    return execFileSync('git', ['-C', from, 'rev-parse', '--show-toplevel'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return path.resolve(from, '..', '..', '..');
  }
}

/**
 * The commit of HEAD and whether the engine's src differs from it (uncommitted changes); in a copy without git,
 * the commit it was made from as $LRNAS_ENGINE_COMMIT says (infra/device-check/prepare.mjs records it).
 */
export function describeWorkingTree(repoRoot: string): { commit: string; dirty: boolean } {
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const commit = git('rev-parse', 'HEAD').trim();
    return { commit, dirty: git('status', '--porcelain', '--', 'services/engine/src').trim() !== '' };
  } catch {
    return { commit: process.env.LRNAS_ENGINE_COMMIT ?? 'unknown (no git checkout)', dirty: false };
  }
}
