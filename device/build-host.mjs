// Builds the host tools (the `preflight` command: CLI, simulator, fleet backend) into
// dist/host/preflight.mjs for Node. Packages stay external: they come from node_modules.
import { build } from 'esbuild';
await build({
  entryPoints: ['src/cli/main.ts'], bundle: true, platform: 'node', format: 'esm', target: 'node20',
  packages: 'external', outfile: 'dist/host/preflight.mjs', logLevel: 'warning', sourcemap: 'linked',
});
