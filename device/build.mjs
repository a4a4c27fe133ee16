// Builds the device bundle (SPEC §1): one ES2020 script, no imports, defining globalThis.agent.
// The core has no dependencies (own CBOR, SHA-512, Ed25519), so nothing of Node can come along; the
// scan below proves it. The script is UTF-8 (QuickJS's JS_Eval takes UTF-8): the zh catalog costs
// 3 bytes a character instead of a 6-byte \u escape.
//   dist/device/agent.js       what ships: the methods of src/core/methods.ts and nothing else
//   dist/bench/agent-bench.js  the same plus measuring hooks, for `make bench` only
// Usage: node device/build.mjs [--bench]

import { build } from 'esbuild';
import { readFileSync, mkdirSync, writeFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const bench = process.argv.includes('--bench');
const entry = bench ? 'bench/agent-bench.ts' : 'src/core/main.ts';
const out = bench ? 'dist/bench/agent-bench.js' : 'dist/device/agent.js';
mkdirSync(dirname(out), { recursive: true });
const r = await build({
  entryPoints: [entry],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  outfile: out,
  metafile: true,
  define: { __PREFLIGHT_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
const bytes = readFileSync(out);
const text = bytes.toString('utf8');
// Node APIs fail in QuickJS.
const m = /.{0,60}(\brequire\(|\bimport\(|\bprocess\.|\bBuffer\.).{0,60}/.exec(text);
if (m) { console.error(`device build: the bundle references a Node API: ${m[0]}`); process.exit(1); }
// The shipped bundle must not carry what only the bench needs.
if (!bench && /benchAppend|cryptoLoop/.test(text)) { console.error('device build: dist/device/agent.js carries bench hooks'); process.exit(1); }
writeFileSync(out.replace(/\.js$/, '.meta.json'), JSON.stringify(r.metafile));
console.log(`${out} ${statSync(out).size} bytes, ${gzipSync(bytes, { level: 9 }).length} gzip`);
