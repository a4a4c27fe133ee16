// Unit tests for src/core/crypto/ed25519.ts (run under Node with vitest).
//
// Oracles: RFC 8032 §7.1 vectors, tweetnacl (nacl.sign.detached / .verify),
// Node's OpenSSL Ed25519 (crypto.sign / crypto.verify) and a tiny, slow
// RFC 8032 §6-style reference written below (only used to construct edge cases).
//
// Random cases use a seeded generator; set ED25519_TEST_SEED=<uint32> to change
// it and ED25519_RANDOM_PAIRS=<n> to change the number of random pairs
// (default 10000, message lengths 0..300). For every pair: our publicKey must
// equal Node's, our signature must equal tweetnacl's byte for byte, and our
// verify must accept it. Every 4th pair also
// gets one mutation (bit flips in R / S / message / key, S + n*L, another
// key, truncation, zeroed R) whose verify result must equal Node's.
// tweetnacl is slow under V8 on the 2-core machine (~5 ms sign, ~7 ms
// verify), so its signing runs in two worker threads and its verify is
// compared on 500 valid + 500 mutated pairs; ED25519_NACL_VERIFY_ALL=1
// compares tweetnacl verify on all of them (adds ~60-90 s). Node's public key
// is derived for every pair (in the workers); Node's signature and verify of
// the valid signature are checked on every 10th pair.
import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { createEd25519, ed25519Precompute } from '../../src/core/crypto/ed25519';

const ed = createEd25519(nacl.hash);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function fail(message: string): never {
  throw new Error(message);
}
const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Node/OpenSSL verify; false (never throws) on any error. */
function nodeVerify(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): boolean {
  try {
    const key = crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
    return crypto.verify(null, msg, key, sig);
  } catch {
    return false;
  }
}

function nodeKey(seed: Uint8Array): { pub: Uint8Array; priv: crypto.KeyObject } {
  const priv = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = crypto.createPublicKey(priv).export({ format: 'der', type: 'spki' });
  return { pub: new Uint8Array(spki.subarray(12)), priv };
}

/** tweetnacl verify, with its exceptions (wrong lengths) mapped to false. */
function naclVerify(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): boolean {
  try {
    return nacl.sign.detached.verify(msg, sig, pub);
  } catch {
    return false;
  }
}

/** sfc32: small seeded PRNG so that failures reproduce. */
function makeRng(seed: number) {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) u32();
  return {
    u32,
    int: (n: number): number => u32() % n,
    bytes: (n: number): Uint8Array => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = u32() & 255;
      return out;
    },
  };
}

// ---------------------------------------------------------------------------
// Tiny reference (RFC 8032 §6 style, affine/extended BigInt, slow but obvious)
// used to build small-order / non-canonical edge cases.
// ---------------------------------------------------------------------------
type RefPt = [bigint, bigint, bigint, bigint];
const Ref = (() => {
  const P = 2n ** 255n - 19n;
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const mod = (a: bigint): bigint => ((a % P) + P) % P;
  function pow(b: bigint, e: bigint): bigint {
    let r = 1n;
    b = mod(b);
    while (e > 0n) {
      if (e & 1n) r = (r * b) % P;
      b = (b * b) % P;
      e >>= 1n;
    }
    return r;
  }
  const inv = (x: bigint): bigint => pow(x, P - 2n);
  const D = mod(-121665n * inv(121666n));
  const SQRT_M1 = pow(2n, (P - 1n) / 4n);
  const ID: RefPt = [0n, 1n, 1n, 0n];
  /** RFC 8032 §5.1.4 / §6 point addition (extended coordinates). */
  function add(p: RefPt, q: RefPt): RefPt {
    const A = mod((p[1] - p[0]) * (q[1] - q[0]));
    const B = mod((p[1] + p[0]) * (q[1] + q[0]));
    const C = mod(2n * p[3] * q[3] * D);
    const Dd = mod(2n * p[2] * q[2]);
    const E = B - A, F = Dd - C, G = Dd + C, H = B + A;
    return [mod(E * F), mod(G * H), mod(F * G), mod(E * H)];
  }
  function mul(s: bigint, q: RefPt): RefPt {
    let r = ID;
    while (s > 0n) {
      if (s & 1n) r = add(r, q);
      q = add(q, q);
      s >>= 1n;
    }
    return r;
  }
  function eq(p: RefPt, q: RefPt): boolean {
    return mod(p[0] * q[2] - q[0] * p[2]) === 0n && mod(p[1] * q[2] - q[1] * p[2]) === 0n;
  }
  /** x with x^2 = (y^2-1)/(d y^2+1) and parity `sign`, or null (strict: x = 0 needs sign 0). */
  function recoverX(y: bigint, sign: number): bigint | null {
    const x2 = mod((y * y - 1n) * inv(D * y * y + 1n));
    if (x2 === 0n) return sign ? null : 0n;
    let x = pow(x2, (P + 3n) / 8n);
    if (mod(x * x - x2) !== 0n) x = mod(x * SQRT_M1);
    if (mod(x * x - x2) !== 0n) return null;
    if (Number(x & 1n) !== sign) x = P - x;
    return x;
  }
  const point = (x: bigint, y: bigint): RefPt => [mod(x), mod(y), 1n, mod(x * y)];
  const BY = mod(4n * inv(5n));
  const B = point(recoverX(BY, 0)!, BY);
  function le(x: bigint, n = 32): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      b[i] = Number(x & 255n);
      x >>= 8n;
    }
    return b;
  }
  function fromLe(b: Uint8Array): bigint {
    let x = 0n;
    for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
    return x;
  }
  function encode(p: RefPt): Uint8Array {
    const zi = inv(p[2]);
    const x = mod(p[0] * zi), y = mod(p[1] * zi);
    return le(y | ((x & 1n) << 255n));
  }
  return { P, L, ID, B, add, mul, eq, recoverX, point, le, fromLe, encode };
})();

/** The 8 points of the small-order (torsion) subgroup, computed, not hard-coded. */
function torsionPoints(): RefPt[] {
  for (let y = 2n; ; y++) {
    const x = Ref.recoverX(y, 0);
    if (x === null) continue;
    const t = Ref.mul(Ref.L, Ref.point(x, y)); // kills the prime-order component
    if (Ref.eq(Ref.mul(4n, t), Ref.ID)) continue; // want a generator of order 8
    const out: RefPt[] = [];
    let q = Ref.ID;
    for (let i = 0; i < 8; i++) {
      out.push(q);
      q = Ref.add(q, t);
    }
    return out;
  }
}

/**
 * A signature on `msg` that satisfies [S]B = R + [k]A for a public key whose
 * bytes are `aEnc` and whose (possibly leniently decoded) point is `a`, where a
 * has small order: R = [S]B + t for a torsion point t, retried until the hash
 * k makes the equation hold. Returns null if no S in range works.
 */
function forgeSmallOrder(aEnc: Uint8Array, a: RefPt, msg: Uint8Array, tors: RefPt[]): Uint8Array | null {
  if (!Ref.eq(Ref.mul(8n, a), Ref.ID)) return null; // not of small order: no forgery
  for (let S = 1n; S < 300n; S++) {
    const sB = Ref.mul(S, Ref.B);
    for (const t of tors) {
      const r = Ref.add(sB, t);
      const rEnc = Ref.encode(r);
      const k = Ref.fromLe(nacl.hash(cat(rEnc, aEnc, msg))) % Ref.L;
      if (Ref.eq(Ref.add(r, Ref.mul(k % 8n, a)), sB)) return cat(rEnc, Ref.le(S)); // a has order | 8
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// RFC 8032 §7.1
// ---------------------------------------------------------------------------

interface Vector {
  name: string;
  secretKey: string;
  publicKey: string;
  message: string;
  signature: string;
}
const vectors = (
  JSON.parse(readFileSync(new URL('../vectors/rfc8032-ed25519.json', import.meta.url), 'utf8')) as { vectors: Vector[] }
).vectors;

describe('ed25519: RFC 8032 §7.1 test vectors', () => {
  it('has the five vectors', () => {
    expect(vectors.map((v) => v.name)).toEqual(['TEST 1', 'TEST 2', 'TEST 3', 'TEST 1024', 'TEST SHA(abc)']);
    expect(unhex(vectors[3]!.message).length).toBe(1023);
  });

  for (const v of vectors) {
    it(`${v.name}: publicKey, sign, verify (ours, tweetnacl, Node)`, () => {
      const seed = unhex(v.secretKey);
      const pub = unhex(v.publicKey);
      const msg = unhex(v.message);
      const sig = unhex(v.signature);
      // The vector itself, checked against OpenSSL.
      const nk = nodeKey(seed);
      expect(hex(nk.pub)).toBe(v.publicKey);
      expect(hex(crypto.sign(null, msg, nk.priv))).toBe(v.signature);
      // Ours.
      expect(hex(ed.publicKey(seed))).toBe(v.publicKey);
      expect(hex(ed.sign(msg, cat(seed, pub)))).toBe(v.signature);
      expect(ed.verify(msg, sig, pub)).toBe(true);
      // tweetnacl agrees.
      expect(hex(nacl.sign.keyPair.fromSeed(seed).publicKey)).toBe(v.publicKey);
      expect(hex(nacl.sign.detached(msg, cat(seed, pub)))).toBe(v.signature);
      expect(nacl.sign.detached.verify(msg, sig, pub)).toBe(true);
      expect(nodeVerify(msg, sig, pub)).toBe(true);
      // Single-bit corruptions are rejected.
      const bad = sig.slice();
      bad[7] = bad[7]! ^ 0x10;
      expect(ed.verify(msg, bad, pub)).toBe(false);
      expect(ed.verify(cat(msg, new Uint8Array([0])), sig, pub)).toBe(false);
    });
  }

  it('verify is independent of the shared lazily built table and of instance', () => {
    expect(ed25519Precompute()).toBe(384);
    const other = createEd25519((m) => nacl.hash(m));
    const v = vectors[2]!;
    expect(other.verify(unhex(v.message), unhex(v.signature), unhex(v.publicKey))).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// Random pairs vs tweetnacl (workers) and Node
// ---------------------------------------------------------------------------

const RANDOM_PAIRS = Number(process.env.ED25519_RANDOM_PAIRS ?? 10000);
const SEED = Number(process.env.ED25519_TEST_SEED ?? 0x5eed2551);
const NACL_VERIFY_ALL = process.env.ED25519_NACL_VERIFY_ALL === '1';
/** Every MUTATE_EVERY-th pair also gets one mutated (sig, msg, pub) triple. */
const MUTATE_EVERY = 4;
/** Per worker: tweetnacl verify on this many valid and this many mutated pairs. */
const NACL_VERIFY_PER_WORKER = 250;
/** Node's crypto.sign / crypto.verify on the main thread for every n-th pair. */
const NODE_SIGN_EVERY = 10;
/** Per worker: nacl.sign.keyPair.fromSeed on this many seeds. */
const NACL_PUB_PER_WORKER = 150;

const MUTATIONS = ['flip-R', 'flip-S', 'flip-msg', 'flip-pub', 'S+L', 'other-pub', 'truncate-sig', 'zero-R'] as const;
type Mutation = (typeof MUTATIONS)[number];

interface Job {
  msg: Uint8Array;
  sig: Uint8Array;
  pub: Uint8Array;
}

// Worker (CommonJS, eval'd): message 1 = signing jobs (public key from
// Node's crypto, then nacl.sign.detached), message 2 = tweetnacl verify jobs.
const WORKER_SRC = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const nacl = require(workerData.naclPath);
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
parentPort.on('message', (job) => {
  if (job.type === 'sign') {
    const sigs = new Uint8Array(job.seeds.length * 64);
    const pubs = new Uint8Array(job.seeds.length * 32);
    for (let i = 0; i < job.seeds.length; i++) {
      const priv = crypto.createPrivateKey({ key: Buffer.concat([PKCS8, job.seeds[i]]), format: 'der', type: 'pkcs8' });
      const pub = crypto.createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(12);
      pubs.set(pub, i * 32);
      const sk = new Uint8Array(64);
      sk.set(job.seeds[i], 0);
      sk.set(pub, 32);
      sigs.set(nacl.sign.detached(job.msgs[i], sk), i * 64);
    }
    const naclPubs = job.seeds.slice(0, job.naclPubs).map((s) => nacl.sign.keyPair.fromSeed(s).publicKey);
    parentPort.postMessage({ type: 'sign', sigs, pubs, naclPubs });
  } else {
    const verify = job.jobs.map((j) => {
      try { return nacl.sign.detached.verify(j.msg, j.sig, j.pub); } catch (e) { return false; }
    });
    parentPort.postMessage({ type: 'verify', verify });
  }
});
`;

interface SignResult {
  sigs: Uint8Array;
  pubs: Uint8Array;
  naclPubs: Uint8Array[];
}

class NaclWorker {
  private readonly w: Worker;
  readonly signed: Promise<SignResult>;
  readonly verified: Promise<boolean[]>;
  constructor() {
    const naclPath = createRequire(import.meta.url).resolve('tweetnacl');
    this.w = new Worker(WORKER_SRC, { eval: true, workerData: { naclPath } });
    let resolveSign!: (r: SignResult) => void;
    let resolveVerify!: (r: boolean[]) => void;
    let rejectAll!: (e: unknown) => void;
    const failed = new Promise<never>((_, reject) => (rejectAll = reject));
    failed.catch(() => undefined);
    this.signed = Promise.race([new Promise<SignResult>((r) => (resolveSign = r)), failed]);
    this.verified = Promise.race([new Promise<boolean[]>((r) => (resolveVerify = r)), failed]);
    this.w.on('message', (m: { type: string } & SignResult & { verify: boolean[] }) => {
      if (m.type === 'sign') resolveSign(m);
      else resolveVerify(m.verify);
    });
    this.w.once('error', rejectAll);
    this.w.once('exit', (code) => rejectAll(new Error(`nacl worker exited with code ${code}`)));
  }
  sign(seeds: Uint8Array[], msgs: Uint8Array[], naclPubs: number): void {
    this.w.postMessage({ type: 'sign', seeds, msgs, naclPubs });
  }
  verify(jobs: Job[]): void {
    this.w.postMessage({ type: 'verify', jobs });
  }
  terminate(): Promise<number> {
    return this.w.terminate();
  }
}

describe(`ed25519: ${RANDOM_PAIRS} random pairs (seed 0x${SEED.toString(16)})`, () => {
  it(
    'publicKey and sign byte-identical to tweetnacl and Node; verify agrees with tweetnacl and Node on valid and mutated inputs',
    async () => {
      const rng = makeRng(SEED);
      const ctx = (i: number) => `pair ${i} (ED25519_TEST_SEED=0x${SEED.toString(16)})`;

      // 1. Inputs, then start tweetnacl signing at once in two workers.
      const seeds: Uint8Array[] = [];
      const msgs: Uint8Array[] = [];
      for (let i = 0; i < RANDOM_PAIRS; i++) {
        seeds.push(rng.bytes(32));
        msgs.push(rng.bytes(rng.int(301))); // lengths 0..300
      }
      const half = Math.ceil(RANDOM_PAIRS / 2);
      const slices: [number, number][] = [
        [0, half],
        [half, RANDOM_PAIRS],
      ];
      const workers = slices.map(([a, b]) => {
        const w = new NaclWorker();
        w.sign(seeds.slice(a, b), msgs.slice(a, b), Math.min(b - a, NACL_PUB_PER_WORKER));
        return w;
      });

      try {
        // 2. Ours: publicKey, sign, verify (all pairs). Node's publicKey is
        //    derived in the workers; Node's own signature and verify are
        //    additionally checked on every NODE_SIGN_EVERY-th pair here.
        const pubs: Uint8Array[] = [];
        const sigs: Uint8Array[] = [];
        for (let i = 0; i < RANDOM_PAIRS; i++) {
          const seed = seeds[i]!;
          const msg = msgs[i]!;
          const pub = ed.publicKey(seed);
          const sig = ed.sign(msg, cat(seed, pub));
          pubs.push(pub);
          sigs.push(sig);
          if (!ed.verify(msg, sig, pub)) fail(`${ctx(i)}: our verify rejected a valid signature`);
          if (i % NODE_SIGN_EVERY === 0) {
            const nk = nodeKey(seed);
            if (hex(nk.pub) !== hex(pub)) fail(`${ctx(i)}: publicKey differs from Node`);
            if (hex(crypto.sign(null, msg, nk.priv)) !== hex(sig)) fail(`${ctx(i)}: signature differs from Node`);
            if (!nodeVerify(msg, sig, pub)) fail(`${ctx(i)}: Node rejected our signature`);
          }
        }

        // 3. Mutations (every MUTATE_EVERY-th pair).
        const mutated = new Map<number, Job & { kind: Mutation }>();
        for (let i = 0; i < RANDOM_PAIRS; i += MUTATE_EVERY) {
          const kind = MUTATIONS[rng.int(MUTATIONS.length)]!;
          let msg = msgs[i]!;
          let sig = sigs[i]!.slice();
          let pub = pubs[i]!.slice();
          const bit = rng.int(256);
          switch (kind) {
            case 'flip-R':
              sig[bit >> 3] = sig[bit >> 3]! ^ (1 << (bit & 7));
              break;
            case 'flip-S':
              sig[32 + (bit >> 3)] = sig[32 + (bit >> 3)]! ^ (1 << (bit & 7));
              break;
            case 'flip-msg':
              if (msg.length === 0) msg = new Uint8Array([rng.int(256)]);
              else {
                msg = msg.slice();
                const j = rng.int(msg.length);
                msg[j] = msg[j]! ^ (1 << (bit & 7));
              }
              break;
            case 'flip-pub':
              pub[bit >> 3] = pub[bit >> 3]! ^ (1 << (bit & 7));
              break;
            case 'S+L': {
              // S + n*L with n in 1..15 stays below 2^256 (S < L < 2^253).
              const s = Ref.fromLe(sig.subarray(32)) + Ref.L * BigInt(1 + rng.int(15));
              sig.set(Ref.le(s), 32);
              break;
            }
            case 'other-pub':
              pub = pubs[(i + 1) % RANDOM_PAIRS]!.slice();
              break;
            case 'truncate-sig':
              sig = sig.slice(0, rng.int(64));
              break;
            case 'zero-R':
              sig.fill(0, 0, 32);
              break;
          }
          mutated.set(i, { msg, sig, pub, kind });
        }

        // 4. tweetnacl verify jobs: per worker, the first valid pairs and the
        //    first mutated pairs of its half (all of them with ED25519_NACL_VERIFY_ALL=1).
        const verifyIdx = slices.map(([a, b]) => {
          const valid: number[] = [];
          const mut: number[] = [];
          for (let i = a; i < b; i++) {
            if (NACL_VERIFY_ALL || valid.length < NACL_VERIFY_PER_WORKER) valid.push(i);
            if (mutated.has(i) && (NACL_VERIFY_ALL || mut.length < NACL_VERIFY_PER_WORKER)) mut.push(i);
          }
          return { valid, mut };
        });
        workers.forEach((w, k) => {
          const { valid, mut } = verifyIdx[k]!;
          w.verify([
            ...valid.map((i) => ({ msg: msgs[i]!, sig: sigs[i]!, pub: pubs[i]! })),
            ...mut.map((i) => {
              const m = mutated.get(i)!;
              return { msg: m.msg, sig: m.sig, pub: m.pub };
            }),
          ]);
        });

        // 5. Ours vs Node on the mutated triples. OpenSSL also rejects S >= L;
        //    random bit flips essentially never produce the non-canonical
        //    encodings on which OpenSSL is laxer (see the edge-case tests).
        const ourMut = new Map<number, boolean>();
        for (const [i, m] of mutated) {
          const ours = ed.verify(m.msg, m.sig, m.pub);
          ourMut.set(i, ours);
          const node = nodeVerify(m.msg, m.sig, m.pub);
          if (ours !== node) fail(`${ctx(i)}: mutation ${m.kind}: ours ${ours} vs Node ${node}`);
        }

        // 6. Compare with tweetnacl.
        let naclSigs = 0;
        let naclVerifies = 0;
        for (let k = 0; k < workers.length; k++) {
          const [a, b] = slices[k]!;
          const r = await workers[k]!.signed;
          for (let i = a; i < b; i++) {
            if (hex(r.pubs.subarray((i - a) * 32, (i - a + 1) * 32)) !== hex(pubs[i]!)) fail(`${ctx(i)}: publicKey differs from Node`);
            if (hex(r.sigs.subarray((i - a) * 64, (i - a + 1) * 64)) !== hex(sigs[i]!)) fail(`${ctx(i)}: signature differs from tweetnacl`);
            naclSigs++;
          }
          r.naclPubs.forEach((p, j) => {
            if (hex(p) !== hex(pubs[a + j]!)) fail(`${ctx(a + j)}: publicKey differs from tweetnacl`);
          });
          const v = await workers[k]!.verified;
          const { valid, mut } = verifyIdx[k]!;
          expect(v.length).toBe(valid.length + mut.length);
          valid.forEach((i, j) => {
            if (v[j] !== true) fail(`${ctx(i)}: tweetnacl rejected a valid signature`);
          });
          mut.forEach((i, j) => {
            const nv = v[valid.length + j]!;
            const ours = ourMut.get(i)!;
            const kind = mutated.get(i)!.kind;
            if (kind === 'S+L') {
              // tweetnacl does not check S < L (malleable signatures); we reject.
              if (nv !== true || ours !== false) fail(`${ctx(i)}: S+L: tweetnacl ${nv}, ours ${ours}`);
            } else if (nv !== ours) {
              fail(`${ctx(i)}: mutation ${kind}: ours ${ours} vs tweetnacl ${nv}`);
            }
          });
          naclVerifies += v.length;
        }
        expect(naclSigs).toBe(RANDOM_PAIRS);
        expect(naclVerifies).toBeGreaterThan(0);
      } finally {
        await Promise.all(workers.map((w) => w.terminate()));
      }
    },
    240_000,
  );
});

// ---------------------------------------------------------------------------
// Edge cases: strictness vs tweetnacl and Node
// ---------------------------------------------------------------------------

describe('ed25519: edge cases (ours must reject everything tweetnacl rejects)', () => {
  const kp = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(9));
  const msg = new TextEncoder().encode('edge cases');
  const sig = nacl.sign.detached(msg, kp.secretKey);
  const tors = torsionPoints();

  /** Asserts the subset property and returns the three results for finer checks. */
  function check(m: Uint8Array, s: Uint8Array, p: Uint8Array) {
    const ours = ed.verify(m, s, p);
    const n = naclVerify(m, s, p);
    const node = nodeVerify(m, s, p);
    expect(typeof ours).toBe('boolean');
    if (!n) expect(ours).toBe(false); // stricter-or-equal than tweetnacl
    if (ours) expect(node).toBe(true); // and never accepts what OpenSSL rejects
    return { ours, nacl: n, node };
  }

  it('torsion points are the 8 canonical small-order encodings', () => {
    expect(new Set(tors.map((t) => hex(Ref.encode(t)))).size).toBe(8);
    expect(tors.map((t) => hex(Ref.encode(t)))).toContain('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
  });

  it('S + n*L (malleability) is rejected; tweetnacl accepts it, Node rejects it', () => {
    const S = Ref.fromLe(sig.subarray(32));
    for (let n = 1n; S + n * Ref.L < 2n ** 256n; n++) {
      const s2 = sig.slice();
      s2.set(Ref.le(S + n * Ref.L), 32);
      expect(check(msg, s2, kp.publicKey)).toEqual({ ours: false, nacl: true, node: false });
    }
    // S = L exactly and S = 2^256 - 1.
    for (const S2 of [Ref.L, 2n ** 256n - 1n]) {
      const s2 = sig.slice();
      s2.set(Ref.le(S2), 32);
      expect(check(msg, s2, kp.publicKey).ours).toBe(false);
    }
  });

  it('small-order public keys: same result as tweetnacl and Node (accepted, cofactorless RFC equation)', () => {
    for (const t of tors) {
      const aEnc = Ref.encode(t);
      const s = forgeSmallOrder(aEnc, t, msg, tors);
      expect(s).not.toBeNull();
      expect(check(msg, s!, aEnc)).toEqual({ ours: true, nacl: true, node: true });
      // On another message the result depends on whether [k']A = [k]A (always
      // true for the identity key): whatever it is, it matches tweetnacl and Node.
      const other = cat(msg, new Uint8Array([1]));
      const r = check(other, s!, aEnc);
      expect(r.ours).toBe(r.nacl);
      expect(r.ours).toBe(r.node);
    }
  });

  it('non-canonical public key encodings (y >= p) are rejected; tweetnacl and Node accept them', () => {
    let seen = 0;
    for (let y = 0n; y < 19n; y++) {
      for (const sign of [0, 1]) {
        const enc = Ref.le((y + Ref.P) | (BigInt(sign) << 255n));
        const x = Ref.recoverX(y, sign);
        if (x === null) {
          expect(check(msg, sig, enc).ours).toBe(false);
          continue;
        }
        const a = Ref.point(x, y);
        const s = forgeSmallOrder(enc, a, msg, tors);
        if (s === null) {
          // Not a small-order point: no forgery possible; just the subset property.
          check(msg, sig, enc);
          continue;
        }
        seen++;
        expect(check(msg, s, enc)).toEqual({ ours: false, nacl: true, node: true });
        // The same point with its canonical encoding is accepted by all three
        // when the signature is made for that encoding.
        const canon = Ref.encode(a);
        const s2 = forgeSmallOrder(canon, a, msg, tors)!;
        expect(check(msg, s2, canon)).toEqual({ ours: true, nacl: true, node: true });
      }
    }
    expect(seen).toBe(3); // y = 0 (both signs) and y = 1 (identity)
  });

  it('x = 0 with the sign bit set (RFC 8032 §5.1.3 step 4) is rejected; tweetnacl and Node accept', () => {
    for (const y of [1n, Ref.P - 1n]) {
      const enc = Ref.le(y | (1n << 255n));
      const s = forgeSmallOrder(enc, Ref.point(0n, y), msg, tors)!;
      expect(s).not.toBeNull();
      expect(check(msg, s, enc)).toEqual({ ours: false, nacl: true, node: true });
    }
  });

  it('non-canonical R encodings are rejected (as by tweetnacl and Node)', () => {
    // A = identity, S = 0: R' = identity, canonical R = 01 00 .. 00.
    const idEnc = Ref.le(1n);
    const ok = cat(idEnc, new Uint8Array(32));
    expect(check(msg, ok, idEnc)).toEqual({ ours: true, nacl: true, node: true });
    for (const rEnc of [Ref.le(Ref.P + 1n), Ref.le(1n | (1n << 255n)), Ref.le(Ref.P + 1n | (1n << 255n))]) {
      expect(check(msg, cat(rEnc, new Uint8Array(32)), idEnc)).toEqual({ ours: false, nacl: false, node: false });
    }
    // A real signature with its R replaced by R's y + p (only possible if y < 19: never) or
    // with the sign bit flipped: rejected.
    const s2 = sig.slice();
    s2[31] = s2[31]! ^ 0x80;
    expect(check(msg, s2, kp.publicKey).ours).toBe(false);
  });

  it('points not on the curve are rejected (as by tweetnacl)', () => {
    let notOnCurve = 0;
    for (let y = 2n; notOnCurve < 20; y++) {
      if (Ref.recoverX(y, 0) !== null) continue;
      notOnCurve++;
      const enc = Ref.le(y);
      const r = check(msg, sig, enc);
      expect(r.ours).toBe(false);
      expect(r.nacl).toBe(false);
      // Also as R, with a valid key.
      const s2 = sig.slice();
      s2.set(enc, 0);
      expect(check(msg, s2, kp.publicKey).ours).toBe(false);
    }
  });

  it('all-zero / all-0xff inputs', () => {
    const z64 = new Uint8Array(64), f64 = new Uint8Array(64).fill(255);
    const z32 = new Uint8Array(32), f32 = new Uint8Array(32).fill(255);
    for (const s of [z64, f64, cat(sig.subarray(0, 32), z32), cat(sig.subarray(0, 32), f32), cat(z32, sig.subarray(32))]) {
      for (const p of [kp.publicKey, z32, f32]) {
        for (const m of [msg, new Uint8Array(0), new Uint8Array(300).fill(255)]) {
          expect(check(m, s, p).ours).toBe(false);
        }
      }
    }
  });

  it('wrong lengths and wrong types return false and never throw', () => {
    const bad: unknown[] = [undefined, null, 0, 'x', [], {}, new Uint16Array(32), new Uint8Array(0)];
    for (const n of [0, 1, 31, 33, 63, 65, 128]) bad.push(new Uint8Array(n));
    for (const b of bad) {
      expect(ed.verify(msg, b as Uint8Array, kp.publicKey)).toBe(false);
      expect(ed.verify(msg, sig, b as Uint8Array)).toBe(false);
      expect(ed.verify(b as Uint8Array, sig, kp.publicKey)).toBe(false);
    }
    // tweetnacl throws on these; ours returns false.
    expect(() => nacl.sign.detached.verify(msg, sig.subarray(0, 63), kp.publicKey)).toThrow();
    expect(ed.verify(msg, sig.subarray(0, 63), kp.publicKey)).toBe(false);
    expect(ed.verify(msg, cat(sig, new Uint8Array(1)), kp.publicKey)).toBe(false);
    expect(ed.verify(msg, sig, cat(kp.publicKey, new Uint8Array(1)))).toBe(false);
    // A subarray view with a non-zero byteOffset works.
    const buf = cat(new Uint8Array(5), sig, new Uint8Array(3));
    expect(ed.verify(msg, buf.subarray(5, 69), kp.publicKey)).toBe(true);
    // A sha512 that throws still yields false, not an exception.
    const broken = createEd25519(() => {
      throw new Error('boom');
    });
    expect(broken.verify(msg, sig, kp.publicKey)).toBe(false);
  });

  it('random garbage never throws and agrees with tweetnacl whenever tweetnacl rejects (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ minLength: 0, maxLength: 70 }),
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        (m, s, p) => {
          const ours = ed.verify(m, s, p);
          expect(typeof ours).toBe('boolean');
          if (s.length === 64 && p.length === 32 && !naclVerify(m, s, p)) expect(ours).toBe(false);
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('sign/publicKey reject bad key sizes (like tweetnacl)', () => {
    expect(() => ed.sign(msg, new Uint8Array(63))).toThrow();
    expect(() => ed.sign(msg, new Uint8Array(65))).toThrow();
    expect(() => ed.publicKey(new Uint8Array(31))).toThrow();
    expect(() => nacl.sign.detached(msg, new Uint8Array(63))).toThrow();
  });

  it('sign uses secretKey64[32..64) as the public key, exactly like tweetnacl', () => {
    // Mismatched public half: both produce the same (invalid) signature bytes.
    const sk = cat(kp.secretKey.subarray(0, 32), new Uint8Array(32).fill(3));
    const ours = ed.sign(msg, sk);
    expect(hex(ours)).toBe(hex(nacl.sign.detached(msg, sk)));
    expect(ed.verify(msg, ours, kp.publicKey)).toBe(false);
  });
});
