#!/usr/bin/env node
// The `preflight` command: runs the host tools built by `make build` into dist/host/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const cli = fileURLToPath(new URL('../dist/host/preflight.mjs', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('preflight: dist/host/preflight.mjs is missing: run `make` in the project folder first\n');
  process.exit(2);
}
await import(cli);
