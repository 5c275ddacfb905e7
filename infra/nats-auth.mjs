#!/usr/bin/env node
// Renders schema/nats/roles.json into nats-server's authorization block for the deployments:
// infra/compose/nats/auth.conf and infra/k8s/base/nats/auth.conf (both checked in; a test keeps them
// equal to this rendering, so roles.json stays the one source of who may do what).
//
//   node infra/nats-auth.mjs          # rewrite both files after changing roles.json
//   node infra/nats-auth.mjs --check  # exit 1 when a file differs from the rendering
//
// Each role becomes the user `lrnas-<role>`; its password is the environment variable
// NATS_<ROLE>_PASSWORD of the nats-server process (a reference, resolved by nats-server at start),
// so the files hold no secret. The local launcher renders the same roles with literal passwords.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROLES = fileURLToPath(new URL('../schema/nats/roles.json', import.meta.url));
export const AUTH_FILES = ['compose/nats/auth.conf', 'k8s/base/nats/auth.conf'].map((file) =>
  fileURLToPath(new URL(file, import.meta.url)),
);

/** The user name and password variable of a role (the route login of a cluster is role `route`). */
export function loginOf(role) {
  return { user: `lrnas-${role}`, passwordVariable: `NATS_${role.toUpperCase()}_PASSWORD` };
}

/** The authorization block for `roles` (roles.json's `roles` object). */
export function renderAuth(roles = JSON.parse(fs.readFileSync(ROLES, 'utf8')).roles) {
  const users = Object.entries(roles).map(([role, { why, publish, subscribe }]) => {
    const { user, passwordVariable } = loginOf(role);
    // JSON is valid nats-server syntax for the permissions; the password is a bare $reference
    // (quoted, it would be the literal text "$NATS_...").
    return [
      `    # ${role}: ${why}`,
      `    {`,
      `      user: ${JSON.stringify(user)}`,
      `      password: $${passwordVariable}`,
      `      permissions: ${JSON.stringify({ publish, subscribe })}`,
      `    }`,
    ].join('\n');
  });
  return [
    '# GENERATED from schema/nats/roles.json by `node infra/nats-auth.mjs`: edit roles.json, not this file.',
    '# Passwords are environment variables of nats-server (NATS_<ROLE>_PASSWORD), never written here.',
    'authorization {',
    '  users = [',
    users.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  const text = renderAuth();
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const file of AUTH_FILES) {
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (current === text) continue;
    if (check) {
      console.error(`${file} differs from schema/nats/roles.json: run node infra/nats-auth.mjs`);
      stale++;
    } else {
      fs.writeFileSync(file, text);
      console.log(`wrote ${file}`);
    }
  }
  process.exitCode = stale ? 1 : 0;
}
