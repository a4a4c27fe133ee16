// src/core/crypto/ed25519.ts inside QuickJS (quickjs-emscripten RELEASE_SYNC):
// bundle it together with tweetnacl the way the agent bundle is built
// (esbuild, iife, es2020, platform browser), run both inside one QuickJS
// context under a 1 MiB memory limit, and check that our signatures equal
// tweetnacl's (and Node's) and that verify agrees. Heap use is reported (not
// asserted beyond the lazy-table checks); there are no timing assertions.
//
// Heap accounting caveat: this QuickJS build has no malloc_usable_size, so
// computeMemoryUsage().malloc_size counts 8 bytes per live allocation and
// memory_used_size does not include BigInt payloads; setMemoryLimit(1 MiB)
// is therefore much laxer than a real 1 MiB heap. `malloc_count` (live
// allocations) is exact and is what the lazy-table checks use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as crypto from 'node:crypto';
import nacl from 'tweetnacl';
import { newQuickJSWASMModule, RELEASE_SYNC, type QuickJSContext, type QuickJSRuntime } from 'quickjs-emscripten';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const N_VECTORS = 20;
const N_NACL_MUTATED_VERIFY = 8; // tweetnacl verify costs ~0.2-0.7 s each in QuickJS
const SEED = 0xed25519;

const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

function makeRng(seed: number) {
  let s = seed >>> 0 || 1;
  const u32 = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    int: (n: number): number => u32() % n,
    bytes: (n: number): Uint8Array => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = u32() & 255;
      return out;
    },
  };
}

interface MemUsage {
  malloc_count: number;
  memory_used_size: number;
  memory_used_count: number;
  malloc_size: number;
}

let bundle = '';
let rt: QuickJSRuntime | undefined;
let vm: QuickJSContext | undefined;

function evalJson<T>(code: string, name = 'test.js'): T {
  const handle = vm!.unwrapResult(vm!.evalCode(code, name));
  try {
    const s = vm!.getString(handle);
    return JSON.parse(s) as T;
  } finally {
    handle.dispose();
  }
}

function evalVoid(code: string, name = 'test.js'): void {
  vm!.unwrapResult(vm!.evalCode(code, name)).dispose();
}

function mem(): MemUsage {
  const h = rt!.computeMemoryUsage();
  try {
    return vm!.dump(h) as MemUsage;
  } finally {
    h.dispose();
  }
}

const heapLog: string[] = [];
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ed25519-quickjs-'));
  try {
    const outfile = join(dir, 'bundle.js');
    await build({
      stdin: {
        contents: [
          "import nacl from 'tweetnacl';",
          "import { createEd25519, ed25519Precompute } from './src/core/crypto/ed25519.ts';",
          'globalThis.nacl = nacl;',
          'globalThis.ed25519 = createEd25519(nacl.hash);',
          'globalThis.ed25519Precompute = ed25519Precompute;',
        ].join('\n'),
        resolveDir: ROOT,
        sourcefile: 'ed25519-quickjs-entry.js',
        loader: 'js',
      },
      bundle: true,
      format: 'iife',
      target: 'es2020',
      platform: 'browser',
      outfile,
      write: true,
      logLevel: 'silent',
    });
    bundle = readFileSync(outfile, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const QuickJS = await newQuickJSWASMModule(RELEASE_SYNC);
  rt = QuickJS.newRuntime();
  rt.setMemoryLimit(1024 * 1024);
  rt.setMaxStackSize(512 * 1024);
  vm = rt.newContext();
}, 60_000);

afterAll(() => {
  vm?.dispose();
  rt?.dispose();
  vm = undefined;
  rt = undefined;
  if (heapLog.length) console.log(`[ed25519-quickjs] ${heapLog.join('; ')}`);
});

describe('ed25519 inside QuickJS (RELEASE_SYNC, 1 MiB limit)', () => {
  it('bundle is self-contained ES2020 without a Node crypto require', () => {
    expect(bundle.length).toBeGreaterThan(1000);
    expect(bundle).not.toMatch(/require\(["'](node:)?crypto["']\)/);
  });

  it('loads; the fixed-base table is built lazily on first use and kept', () => {
    const m0 = mem();
    evalVoid(bundle, 'bundle.js');
    const m1 = mem();
    // First use builds the 384-BigInt table (plus a few one-off shapes/atoms).
    evalVoid(`(() => {
      const kp = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(1));
      globalThis.__warmSig = ed25519.sign(new Uint8Array(10), kp.secretKey);
    })()`);
    const m2 = mem();
    evalVoid(`(() => {
      const kp = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(2));
      globalThis.__warmSig = ed25519.sign(new Uint8Array(10), kp.secretKey);
    })()`);
    const m3 = mem();
    const bigints = evalJson<number>('JSON.stringify(ed25519Precompute())');
    expect(bigints).toBe(384);
    const firstUse = m2.malloc_count - m1.malloc_count;
    const secondUse = m3.malloc_count - m2.malloc_count;
    expect(firstUse).toBeGreaterThanOrEqual(384); // table allocated at first use, not at load
    expect(secondUse).toBeLessThan(64); // and not again
    heapLog.push(
      `after load: memory_used_size ${kb(m1.memory_used_size)} (+${kb(m1.memory_used_size - m0.memory_used_size)}), ` +
        `live mallocs ${m1.malloc_count}`,
      `first sign (builds table): +${firstUse} live mallocs, est. table ${kb(bigints * 56)} (48 B JSBigInt chunk + 8 B slot each), ` +
        `memory_used_size ${kb(m2.memory_used_size)}`,
      `second sign: +${secondUse} live mallocs`,
    );
    expect(m2.memory_used_size).toBeLessThan(1024 * 1024);
  });

  it(`signatures equal tweetnacl's (in QuickJS and in Node) on ${N_VECTORS} random vectors; verify agrees`, () => {
    const rng = makeRng(SEED);
    const cases = Array.from({ length: N_VECTORS }, (_, i) => {
      const seed = rng.bytes(32);
      const msg = rng.bytes(rng.int(301));
      const flip = rng.int(64 * 8);
      return { seed: hex(seed), msg: hex(msg), flip, naclMutated: i < N_NACL_MUTATED_VERIFY };
    });
    const input = JSON.stringify(cases);
    const out = evalJson<
      {
        pub: string;
        ourPub: string;
        naclSig: string;
        ourSig: string;
        ourVerify: boolean;
        naclVerifyOurs: boolean;
        ourVerifyMutated: boolean;
        naclVerifyMutated: boolean | null;
        ourVerifySPlusL: boolean;
      }[]
    >(`(() => {
      const hex = (u) => Array.prototype.map.call(u, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
      const unhex = (s) => { const u = new Uint8Array(s.length / 2); for (let i = 0; i < u.length; i++) u[i] = parseInt(s.substr(2 * i, 2), 16); return u; };
      const L = (1n << 252n) + 27742317777372353535851937790883648493n;
      const cases = JSON.parse(${JSON.stringify(input)});
      return JSON.stringify(cases.map((c) => {
        const seed = unhex(c.seed), msg = unhex(c.msg);
        const kp = nacl.sign.keyPair.fromSeed(seed);
        const naclSig = nacl.sign.detached(msg, kp.secretKey);
        const ourSig = ed25519.sign(msg, kp.secretKey);
        const bad = ourSig.slice();
        bad[c.flip >> 3] ^= 1 << (c.flip & 7);
        // S + L: tweetnacl would accept it, we must not.
        let s = 0n;
        for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(ourSig[i]);
        s += L;
        const sl = ourSig.slice();
        for (let i = 32; i < 64; i++) { sl[i] = Number(s & 255n); s >>= 8n; }
        return {
          pub: hex(kp.publicKey),
          ourPub: hex(ed25519.publicKey(seed)),
          naclSig: hex(naclSig),
          ourSig: hex(ourSig),
          ourVerify: ed25519.verify(msg, naclSig, kp.publicKey),
          naclVerifyOurs: nacl.sign.detached.verify(msg, ourSig, kp.publicKey),
          ourVerifyMutated: ed25519.verify(msg, bad, kp.publicKey),
          naclVerifyMutated: c.naclMutated ? nacl.sign.detached.verify(msg, bad, kp.publicKey) : null,
          ourVerifySPlusL: ed25519.verify(msg, sl, kp.publicKey),
        };
      }));
    })()`);
    expect(out).toHaveLength(N_VECTORS);
    out.forEach((r, i) => {
      const c = cases[i]!;
      const msg = unhex(c.msg);
      // Node-side tweetnacl and Node's OpenSSL agree with what QuickJS produced.
      const kp = nacl.sign.keyPair.fromSeed(unhex(c.seed));
      expect(r.pub).toBe(hex(kp.publicKey));
      expect(r.ourPub).toBe(r.pub);
      expect(r.ourSig).toBe(r.naclSig);
      expect(r.ourSig).toBe(hex(nacl.sign.detached(msg, kp.secretKey)));
      const priv = crypto.createPrivateKey({
        key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(unhex(c.seed))]),
        format: 'der',
        type: 'pkcs8',
      });
      expect(hex(crypto.sign(null, msg, priv))).toBe(r.ourSig);
      expect(r.ourVerify).toBe(true);
      expect(r.naclVerifyOurs).toBe(true);
      expect(r.ourVerifyMutated).toBe(false);
      if (r.naclVerifyMutated !== null) expect(r.naclVerifyMutated).toBe(false);
      expect(r.ourVerifySPlusL).toBe(false);
    });
    const m = mem();
    heapLog.push(`after ${N_VECTORS} vectors: memory_used_size ${kb(m.memory_used_size)}, live mallocs ${m.malloc_count}`);
    expect(m.memory_used_size).toBeLessThan(1024 * 1024);
  }, 120_000);

  it('verify never throws inside QuickJS on bad input', () => {
    const r = evalJson<boolean[]>(`JSON.stringify([
      ed25519.verify(new Uint8Array(1), new Uint8Array(63), new Uint8Array(32)),
      ed25519.verify(new Uint8Array(1), new Uint8Array(64), new Uint8Array(31)),
      ed25519.verify(new Uint8Array(1), new Uint8Array(64).fill(255), new Uint8Array(32).fill(255)),
      ed25519.verify(null, new Uint8Array(64), new Uint8Array(32)),
      ed25519.verify(new Uint8Array(1), new Uint8Array(64), new Uint8Array(32)),
    ])`);
    expect(r).toEqual([false, false, false, false, false]);
  });

  it('reports the heap (dumpMemoryUsage)', () => {
    const dump = rt!.dumpMemoryUsage();
    expect(dump).toContain('QuickJS memory usage');
    const used = /memory used\s+\d+\s+(\d+)/.exec(dump);
    heapLog.push(`dumpMemoryUsage "memory used": ${used ? kb(Number(used[1])) : 'n/a'}`);
  });
});
