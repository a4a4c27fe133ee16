// Builds the device bundle (SPEC §1): one ES2020 script, no imports, defining globalThis.agent.
// tweetnacl is bundled for the browser platform so its require('crypto') is dropped, and cbor-x
// resolves to its pure-JS entry (not node-index, which loads a native addon).

import { build } from 'esbuild';
import { readFileSync, mkdirSync, writeFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const out = 'dist/device/agent.js';
mkdirSync('dist/device', { recursive: true });
const r = await build({
  entryPoints: ['src/core/main.ts'],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  outfile: out,
  metafile: true,
  define: { __PREFLIGHT_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
const bytes = readFileSync(out);
const text = bytes.toString('utf8');
// Node APIs fail in QuickJS. The one known reference is cbor-x's Buffer.concat for indefinite-
// length strings, unreachable because src/core/codec/cbor.ts refuses indefinite lengths before decoding.
const KNOWN = ['Buffer.concat(r)'];
let scan = text;
for (const k of KNOWN) scan = scan.split(k).join('');
const m = /.{0,60}(\brequire\(|\bimport\(|\bprocess\.|\bBuffer\.).{0,60}/.exec(scan);
if (m) { console.error(`device build: the bundle references a Node API: ${m[0]}`); process.exit(1); }
writeFileSync('dist/device/meta.json', JSON.stringify(r.metafile));
console.log(`dist/device/agent.js ${statSync(out).size} bytes, ${gzipSync(bytes, { level: 9 }).length} gzip`);
