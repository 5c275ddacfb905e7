#!/usr/bin/env node
// Used inside image builds (infra/docker/*.Dockerfile): narrows the npm workspaces to the ones an
// image runs, so that `npm install --omit=dev` installs only their production dependencies.
// `npm ci --workspace X` still installs every workspace's dependencies (the gateway image would
// carry TensorFlow.js and the MNIST files), so the image rewrites the manifests instead; npm keeps
// every version the lockfile pins for the packages that stay.
//
//   node workspace-subset.mjs [--add NAME@VERSION]... WORKSPACE_DIR...
//
// --add puts an extra package in the root's dependencies (exact version) and allows its install
// script: the GPU worker adds @tensorflow/tfjs-node-gpu, hoisted beside the engine's tfjs-core so
// that both share one tfjs-core and the backend it registers is the engine's.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { add: { type: 'string', multiple: true, default: [] } },
});
const root = process.cwd();
const readJson = (file) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
const writeJson = (file, data) => fs.writeFileSync(path.join(root, file), `${JSON.stringify(data, null, 2)}\n`);

const pkg = readJson('package.json');
const keep = positionals.map((dir) => dir.replace(/\/+$/, ''));
if (keep.length === 0) throw new Error('name at least one workspace folder');
for (const dir of keep) {
  if (!pkg.workspaces.includes(dir)) throw new Error(`${dir} is not a workspace of ${pkg.name}`);
}
pkg.workspaces = keep;
delete pkg.devDependencies;
delete pkg.scripts;
for (const spec of values.add) {
  const at = spec.lastIndexOf('@');
  if (at <= 0 || !/^\d+\.\d+\.\d+$/.test(spec.slice(at + 1))) throw new Error(`--add needs NAME@x.y.z, got ${spec}`);
  const name = spec.slice(0, at);
  pkg.dependencies = { ...pkg.dependencies, [name]: spec.slice(at + 1) };
  pkg.allowScripts = { ...pkg.allowScripts, [name]: true };
}
writeJson('package.json', pkg);
// Development-only links between workspaces (the gateway's tests start a worker) go too.
for (const dir of keep) {
  const manifest = readJson(`${dir}/package.json`);
  delete manifest.devDependencies;
  writeJson(`${dir}/package.json`, manifest);
}
console.log(`workspaces: ${keep.join(', ')}${values.add.length ? `; added ${values.add.join(', ')}` : ''}`);
