// Builds the host tools (CLI, simulator, fleet consumer) into dist/host/preflight.mjs for Node.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
mkdirSync('dist/host', { recursive: true });
await build({
  entryPoints: ['host-sim/cli.ts'], bundle: true, platform: 'node', format: 'esm', target: 'node20',
  packages: 'external', outfile: 'dist/host/preflight.mjs', logLevel: 'warning', sourcemap: 'linked',
});
copyFileSync('host-sim/hal-prelude.js', 'dist/host/hal-prelude.js');
