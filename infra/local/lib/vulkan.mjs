// The Vulkan driver the engine's webgpu backend needs: Dawn (npm `webgpu`) finds a GPU through its Vulkan ICD, or
// the CPU through Mesa's lavapipe, which the webgpu tests run on. Debian 12's own Mesa (22.3) gives Dawn no
// adapter; Mesa 25 from bookworm-backports does.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { which } from './system.mjs';

const PACKAGES = ['mesa-vulkan-drivers', 'libvulkan1'];
const BACKPORTS_LIST = '/etc/apt/sources.list.d/bookworm-backports.sources';

/**
 * The WebGPU adapter Dawn finds here, as `vendor architecture (description)`, or undefined. Asked in a child
 * process: a missing driver must not load Dawn into the launcher.
 */
export function probeAdapter(root) {
  const require = createRequire(path.join(root, 'services', 'engine', 'package.json'));
  let dawn;
  try {
    dawn = require.resolve('webgpu');
  } catch {
    return undefined;
  }
  const script = `
    const { create } = await import(${JSON.stringify(new URL(`file://${dawn}`).href)});
    const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) process.exit(3);
    const i = adapter.info;
    console.log(\`\${i.vendor} \${i.architecture} (\${i.description})\`);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function codename() {
  try {
    return /^VERSION_CODENAME=(.*)$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

function aptMentions(suite) {
  const files = ['/etc/apt/sources.list'];
  try {
    for (const name of fs.readdirSync('/etc/apt/sources.list.d'))
      files.push(path.join('/etc/apt/sources.list.d', name));
  } catch {
    // no such folder
  }
  return files.some((file) => {
    try {
      return fs.readFileSync(file, 'utf8').includes(suite);
    } catch {
      return false;
    }
  });
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed with exit code ${result.status}`);
}

/**
 * Makes sure Dawn finds a WebGPU adapter. Without one, as root on Debian it installs Mesa's Vulkan drivers (from
 * bookworm-backports on Debian 12, adding that suite to apt's sources when missing); otherwise it throws an error
 * that says what to install. Returns the adapter's name.
 */
export function ensureVulkan(root, log = console.log) {
  const found = probeAdapter(root);
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = which('apt-get');
  const release = codename();
  const backports = release === 'bookworm';
  const command = `apt-get install${backports ? ' -t bookworm-backports' : ''} ${PACKAGES.join(' ')}`;
  if (!isRoot || !apt || !release) {
    throw new Error(
      'no WebGPU adapter: the webgpu backend needs a Vulkan driver. On Debian 12 as root: add the ' +
        `bookworm-backports suite to apt's sources, then \`${command}\` (Debian's own Mesa 22.3 gives no adapter); ` +
        'on a GPU machine, the vendor driver with its Vulkan ICD and libvulkan1.',
    );
  }
  if (backports && !aptMentions('bookworm-backports')) {
    log(`adding Debian's bookworm-backports suite to apt (${BACKPORTS_LIST}) for Mesa 25...`);
    fs.writeFileSync(
      BACKPORTS_LIST,
      'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\n' +
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
    );
  }
  log(`installing Mesa's Vulkan drivers for the webgpu backend (lavapipe): ${command}`);
  run(apt, ['update', '-qq']);
  run(apt, [
    'install',
    '-y',
    '-qq',
    '--no-install-recommends',
    ...(backports ? ['-t', 'bookworm-backports'] : []),
    ...PACKAGES,
  ]);
  const installed = probeAdapter(root);
  if (!installed) throw new Error(`installed ${PACKAGES.join(' ')} but Dawn still finds no WebGPU adapter`);
  return installed;
}
