// Builds the installable package into dist/ (or the folder given): the sources compiled to ES
// modules with their type declarations, a package.json that points at them, and the README. A
// program outside this repository installs that folder: npm install <repo>/client/dist.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const client = path.resolve(here, '..');
const out = path.resolve(process.argv[2] ?? path.join(client, 'dist'));
const tsc = path.resolve(client, '..', 'node_modules', 'typescript', 'bin', 'tsc');

fs.rmSync(out, { recursive: true, force: true });
const sources = fs
  .readdirSync(path.join(client, 'src'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => path.join(client, 'src', f));
execFileSync(
  process.execPath,
  [
    tsc,
    ...['--outDir', out, '--rootDir', path.join(client, 'src')],
    ...['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2023'],
    ...['--types', 'node', '--typeRoots', path.resolve(client, '..', 'node_modules', '@types')],
    ...['--strict', '--declaration', '--skipLibCheck'],
    ...sources,
  ],
  { stdio: 'inherit' },
);
const manifest = JSON.parse(fs.readFileSync(path.join(client, 'package.json'), 'utf8'));
fs.writeFileSync(
  path.join(out, 'package.json'),
  JSON.stringify(
    {
      name: manifest.name,
      version: manifest.version,
      description: manifest.description,
      type: 'module',
      exports: { '.': { types: './index.d.ts', default: './index.js' } },
      engines: manifest.engines,
    },
    null,
    2,
  ) + '\n',
);
fs.copyFileSync(path.join(client, 'README.md'), path.join(out, 'README.md'));
console.log(`built ${manifest.name} ${manifest.version} in ${out}`);
