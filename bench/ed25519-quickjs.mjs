#!/usr/bin/env node
// Benchmark: src/core/crypto/ed25519.ts vs tweetnacl (nacl-fast) *inside QuickJS*
// (quickjs-emscripten RELEASE_SYNC), in one process.
//
//   node bench/ed25519-quickjs.mjs            # default iteration counts
//   node bench/ed25519-quickjs.mjs --quick    # fewer iterations
//
// Prints a small table and one JSON line (prefixed "JSON ").
//
// Heap note: quickjs-emscripten's QuickJS is compiled without
// malloc_usable_size, so QuickJS's own accounting (computeMemoryUsage:
// malloc_size / memory_used_size, and therefore setMemoryLimit) counts only
// 8 bytes per live allocation and does not see BigInt payloads at all. We
// therefore report (a) QuickJS's own numbers and (b) an estimate for the
// table: every 255-bit BigInt is a JSBigInt {ref_count, len, 8 x 32-bit
// limbs} = 40 bytes -> one 48-byte dlmalloc chunk, plus an 8-byte JSValue
// slot in the table array.
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { newQuickJSWASMModule, RELEASE_SYNC } from 'quickjs-emscripten';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const N_NACL_SIGN = quick ? 3 : 7;
const N_NACL_VERIFY = quick ? 3 : 5;
const N_OURS = quick ? 11 : 41;
const BYTES_PER_BIGINT = 48 + 8; // dlmalloc chunk for a 255-bit JSBigInt + array slot

// ---------------------------------------------------------------------------
// 1. Bundle tweetnacl + our implementation into one ES2020 IIFE.
// ---------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'ed25519-bench-'));
const outfile = join(dir, 'bundle.js');
let bundle;
try {
  await build({
    stdin: {
      contents: `
        import nacl from 'tweetnacl';
        import { createEd25519, ed25519Precompute } from './src/core/crypto/ed25519.ts';
        globalThis.nacl = nacl;
        globalThis.ed25519 = createEd25519(nacl.hash);
        globalThis.ed25519Precompute = ed25519Precompute;
      `,
      resolveDir: root,
      sourcefile: 'bench-entry.js',
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    outfile,
    write: true,
    logLevel: 'warning',
  });
  bundle = readFileSync(outfile, 'utf8');
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------
// 2. QuickJS runtime with a 1 MiB limit (see heap note above) and a host clock.
// ---------------------------------------------------------------------------
const QuickJS = await newQuickJSWASMModule(RELEASE_SYNC);
const rt = QuickJS.newRuntime();
rt.setMemoryLimit(1024 * 1024);
rt.setMaxStackSize(512 * 1024);
const vm = rt.newContext();

const nowFn = vm.newFunction('__now', () => vm.newNumber(performance.now()));
vm.setProp(vm.global, '__now', nowFn);
nowFn.dispose();

function evalJs(code, name = 'bench.js') {
  const res = vm.evalCode(code, name);
  const handle = vm.unwrapResult(res);
  const value = vm.dump(handle);
  handle.dispose();
  return value;
}

function mem() {
  const h = rt.computeMemoryUsage();
  const m = vm.dump(h);
  h.dispose();
  return m;
}

const wasmHeap = () => QuickJS.module?.HEAPU8?.length ?? NaN; // informative only

const memStart = mem();
const tLoad0 = performance.now();
evalJs(bundle, 'bundle.js');
const loadMs = performance.now() - tLoad0;
const memLoaded = mem();

// Timing helpers + deterministic inputs, all inside QuickJS.
evalJs(`
  globalThis.__median = function (n, f) {
    const t = [];
    for (let i = 0; i < n; i++) { const a = __now(); f(); t.push(__now() - a); }
    t.sort((x, y) => x - y);
    return t[(t.length - 1) >> 1];
  };
  globalThis.__hex = (u8) => Array.prototype.map.call(u8, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
  let s = 0x12345678;
  const rnd = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return s & 255; };
  globalThis.__seed = new Uint8Array(32).map(rnd);
  globalThis.__msg = new Uint8Array(200).map(rnd);
  globalThis.__kp = nacl.sign.keyPair.fromSeed(__seed);
  0;
`);

// Table build (lazy in the library; forced here to measure it).
const memBeforeTable = mem();
const wasmBefore = wasmHeap();
const tableBuild = evalJs(`(() => { const a = __now(); const n = ed25519Precompute(); return { ms: __now() - a, bigints: n }; })()`);
const memAfterTable = mem();
const wasmAfter = wasmHeap();

const r = evalJs(`(() => {
  const m = __msg, sk = __kp.secretKey, pk = __kp.publicKey;
  const sigN = nacl.sign.detached(m, sk);
  const sigO = ed25519.sign(m, sk);
  if (__hex(sigN) !== __hex(sigO)) throw new Error('signature mismatch inside QuickJS');
  if (!ed25519.verify(m, sigN, pk) || !nacl.sign.detached.verify(m, sigO, pk)) throw new Error('verify mismatch');
  if (__hex(ed25519.publicKey(__seed)) !== __hex(pk)) throw new Error('public key mismatch');
  const oursSign = __median(${N_OURS}, () => ed25519.sign(m, sk));
  const oursVerify = __median(${N_OURS}, () => ed25519.verify(m, sigO, pk));
  const oursPub = __median(${N_OURS}, () => ed25519.publicKey(__seed));
  const sha200 = __median(${N_OURS}, () => nacl.hash(m));
  const naclSign = __median(${N_NACL_SIGN}, () => nacl.sign.detached(m, sk));
  const naclVerify = __median(${N_NACL_VERIFY}, () => nacl.sign.detached.verify(m, sigN, pk));
  return { oursSign, oursVerify, oursPub, sha200, naclSign, naclVerify };
})()`);
const memEnd = mem();

vm.dispose();
rt.dispose();

// ---------------------------------------------------------------------------
// 3. Report.
// ---------------------------------------------------------------------------
const f = (x) => x.toFixed(2);
const dUsed = memAfterTable.memory_used_size - memBeforeTable.memory_used_size;
const dCount = memAfterTable.malloc_count - memBeforeTable.malloc_count;
const tableEstBytes = tableBuild.bigints * BYTES_PER_BIGINT;
const rows = [
  ['operation (200-byte msg)', 'tweetnacl ms', 'ours ms', 'speed-up'],
  ['sign', f(r.naclSign), f(r.oursSign), f(r.naclSign / r.oursSign) + 'x'],
  ['verify', f(r.naclVerify), f(r.oursVerify), f(r.naclVerify / r.oursVerify) + 'x'],
  ['publicKey (ours)', '', f(r.oursPub), ''],
  ['nacl.hash 200 B', f(r.sha200), '', ''],
];
const w = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
for (const row of rows) console.log(row.map((c, i) => c.padEnd(w[i])).join('  '));
console.log('');
console.log(`bundle: ${(bundle.length / 1024).toFixed(1)} KB source, eval ${f(loadMs)} ms; QuickJS memory_used_size after load ${(memLoaded.memory_used_size / 1024).toFixed(1)} KB (start ${(memStart.memory_used_size / 1024).toFixed(1)} KB)`);
console.log(`table build: ${f(tableBuild.ms)} ms, ${tableBuild.bigints} BigInts (${tableBuild.bigints / 3} points)`);
console.log(`table heap: est. ${(tableEstBytes / 1024).toFixed(1)} KB (${BYTES_PER_BIGINT} B per BigInt incl. array slot); QuickJS accounting: +${(dUsed / 1024).toFixed(1)} KB memory_used_size, +${dCount} live mallocs`);
console.log(`QuickJS memory_used_size before/after table: ${(memBeforeTable.memory_used_size / 1024).toFixed(1)} / ${(memAfterTable.memory_used_size / 1024).toFixed(1)} KB, end ${(memEnd.memory_used_size / 1024).toFixed(1)} KB; wasm linear memory ${wasmBefore} -> ${wasmAfter} bytes`);
console.log(
  'JSON ' +
    JSON.stringify({
      engine: 'quickjs-emscripten RELEASE_SYNC',
      msgBytes: 200,
      naclSignMs: +f(r.naclSign),
      oursSignMs: +f(r.oursSign),
      signSpeedup: +f(r.naclSign / r.oursSign),
      naclVerifyMs: +f(r.naclVerify),
      oursVerifyMs: +f(r.oursVerify),
      verifySpeedup: +f(r.naclVerify / r.oursVerify),
      oursPublicKeyMs: +f(r.oursPub),
      naclHash200Ms: +f(r.sha200),
      tableBuildMs: +f(tableBuild.ms),
      tableBigInts: tableBuild.bigints,
      tableHeapEstKB: +(tableEstBytes / 1024).toFixed(1),
      quickjsUsedBeforeTableKB: +(memBeforeTable.memory_used_size / 1024).toFixed(1),
      quickjsUsedAfterTableKB: +(memAfterTable.memory_used_size / 1024).toFixed(1),
      quickjsLiveMallocsAddedByTable: dCount,
      runs: { ours: N_OURS, naclSign: N_NACL_SIGN, naclVerify: N_NACL_VERIFY },
    }),
);
