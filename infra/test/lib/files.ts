// Shared helpers of the infra checks: repository paths, YAML with strict parsing, .dockerignore.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A path relative to the repository root, with forward slashes (for messages). */
export function rel(file: string): string {
  return path.relative(ROOT, file).split(path.sep).join('/');
}

/** Every document of a YAML text; parse errors (duplicate keys included) become problems. */
export function parseYamlDocuments(text: string, where: string): { docs: unknown[]; problems: string[] } {
  const problems: string[] = [];
  const docs: unknown[] = [];
  for (const doc of YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, merge: true })) {
    for (const error of doc.errors) problems.push(`${where}: YAML ${error.code}: ${error.message.split('\n')[0]}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) docs.push(value);
  }
  return { docs, problems };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Files under `dir` (recursively) whose name passes `accept`. */
export function listFiles(dir: string, accept: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, accept));
    else if (accept(entry.name)) out.push(full);
  }
  return out.sort();
}

/**
 * A .dockerignore as a predicate over context paths (forward slashes, relative to the context):
 * `*` and `?` within a segment, `**` across segments, `!` re-includes, later lines win, and a
 * path is excluded when it or one of its parent folders matches.
 */
export function dockerIgnore(text: string): (file: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
      let source = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i]!;
        if (c === '*' && pattern[i + 1] === '*') {
          source += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
          i += pattern[i + 2] === '/' ? 2 : 1;
        } else if (c === '*') source += '[^/]*';
        else if (c === '?') source += '[^/]';
        else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, regex: new RegExp(`^${source}$`) };
    });
  return (file) => {
    const parts = file.split('/');
    let excluded = false;
    for (const rule of rules) {
      for (let n = 1; n <= parts.length; n++) {
        if (rule.regex.test(parts.slice(0, n).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return excluded;
  };
}
