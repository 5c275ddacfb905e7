#!/usr/bin/env node
// The `lrnas` command: runs the TypeScript sources through tsx with the repository's runtime tsconfig.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.runtime.json', import.meta.url)) });
await import('../src/cli/main.ts');
