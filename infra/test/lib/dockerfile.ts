// Dockerfile checks: dockerfile-utils' validator (the linter of the VS Code Docker extension) plus
// this project's rules for images that run in production.
import fs from 'node:fs';
import path from 'node:path';
import { validate } from 'dockerfile-utils';
import { dockerIgnore } from './files.js';

interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined; comments and parser directives dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      i++;
      if (!/^\s*#/.test(lines[i]!)) line += lines[i]!;
    }
    const match = /^\s*(\w+)\s*(.*)$/.exec(line);
    if (match) out.push({ line: start + 1, keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
  }
  return out;
}

/** Replaces ${NAME} and $NAME by the ARG defaults known so far. */
function expand(text: string, args: Map<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => {
    const value = args.get((a ?? b)!);
    return value ?? whole;
  });
}

/** Problems of an image reference used in FROM or COPY --from (stage names are fine). */
export function imageProblems(ref: string): string[] {
  if (ref === 'scratch') return [];
  if (ref.includes('$')) return [`base image ${ref} depends on an ARG without a default`];
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return [];
  const lastSegment = ref.split('/').pop()!;
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : undefined;
  if (tag === undefined) return [`base image ${ref} has no tag (pin at least a major.minor version)`];
  if (tag === 'latest' || !/\d+\.\d+/.test(tag)) {
    return [`base image ${ref} is not pinned: use a versioned tag like 20.20.2-bookworm-slim, not ${tag}`];
  }
  return [];
}

/**
 * Every problem of a Dockerfile: dockerfile-utils' errors and warnings, then this project's rules:
 * several stages, base images pinned, a non-root USER, HEALTHCHECK and CMD in the final stage, and
 * every COPY source present in the build context and not excluded by the .dockerignore.
 */
export function checkDockerfile(
  text: string,
  options: { name: string; context?: string; dockerignore?: string },
): string[] {
  const problems: string[] = [];
  for (const diagnostic of validate(text)) {
    const kind = diagnostic.severity === 1 ? 'error' : 'warning';
    problems.push(`${options.name}:${diagnostic.range.start.line + 1}: ${kind}: ${diagnostic.message}`);
  }
  const args = new Map<string, string>();
  const stages: string[] = [];
  let final: Instruction[] = [];
  let user: string | undefined;
  const ignored = options.dockerignore === undefined ? () => false : dockerIgnore(options.dockerignore);
  for (const ins of instructions(text)) {
    const at = `${options.name}:${ins.line}`;
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=', 2) as [string, string | undefined];
      if (value !== undefined) args.set(name.trim(), value.trim().replace(/^"(.*)"$/, '$1'));
      continue;
    }
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = expand(words[0] ?? '', args);
      if (!stages.includes(image)) problems.push(...imageProblems(image).map((p) => `${at}: ${p}`));
      if (words[1]?.toUpperCase() === 'AS' && words[2]) stages.push(words[2]);
      else stages.push(`#${stages.length}`);
      final = [];
      user = undefined;
      continue;
    }
    final.push(ins);
    if (ins.keyword === 'USER') user = ins.args.split(':')[0];
    if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      const from = /--from=(\S+)/.exec(ins.args)?.[1];
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const sources = words.slice(0, -1);
      if (from !== undefined) {
        const ref = expand(from, args);
        if (!stages.includes(ref) && !/^\d+$/.test(ref)) {
          problems.push(...imageProblems(ref).map((p) => `${at}: COPY --from=${ref}: ${p} (or no such stage)`));
        }
      } else if (options.context !== undefined) {
        for (const source of sources) {
          if (source.startsWith('[') || source.includes('*')) continue;
          const clean = source.replace(/^\.\/?/, '').replace(/\/+$/, '');
          if (clean === '') continue;
          if (!fs.existsSync(path.join(options.context, clean))) {
            problems.push(`${at}: COPY source ${source} does not exist in the build context`);
          } else if (ignored(clean)) {
            problems.push(`${at}: COPY source ${source} is excluded by .dockerignore`);
          }
        }
      }
    }
  }
  if (stages.length < 2) problems.push(`${options.name}: not a multi-stage build (one FROM)`);
  if (user === undefined || user === 'root' || user === '0') {
    problems.push(`${options.name}: the final stage runs as root (add USER with a non-root user)`);
  }
  const healthcheck = final.filter((i) => i.keyword === 'HEALTHCHECK');
  if (healthcheck.length === 0 || /^NONE$/i.test(healthcheck[healthcheck.length - 1]!.args)) {
    problems.push(`${options.name}: the final stage has no HEALTHCHECK`);
  }
  if (!final.some((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT')) {
    problems.push(`${options.name}: the final stage has no CMD or ENTRYPOINT`);
  }
  return problems;
}
