/**
 * Ed25519 signatures (RFC 8032 §5.1, "PureEdDSA" / Ed25519 without context)
 * written on top of native BigInt so that it is fast inside QuickJS, where
 * BigInt arithmetic is implemented in C while tweetnacl's 16-limb
 * Float64Array field arithmetic runs in the bytecode interpreter.
 *
 * Portable ES2020: no Node APIs or Node byte arrays, no timers, no globals besides
 * BigInt / Uint8Array / Int8Array. The SHA-512 implementation is injected
 * (createEd25519(sha512)), e.g. `nacl.hash`.
 *
 * Design (all section numbers refer to RFC 8032):
 *  - Field GF(p), p = 2^255 - 19 (§5.1): plain BigInt values, reduced with
 *    `% P` after every multiplication only. Sums/differences are left
 *    unreduced (they may be negative or slightly larger than p); `%` keeps the
 *    sign of the dividend, so every value stays within (-p, p) after a
 *    product and within a few p before it. Values are only normalised into
 *    [0, p) when they are encoded (§5.1.2).
 *  - Points: extended homogeneous coordinates (X:Y:Z:T), x = X/Z, y = Y/Z,
 *    x*y = T/Z, with the addition and doubling formulas of §5.1.4 (they are
 *    complete for this curve, so the neutral element needs no special case).
 *  - Fixed-base multiplication [s]B (key generation, signing, verification):
 *    signed radix-16 digits e_i in [-8, 7] of s (64 digits) and a lazily built
 *    comb table of affine points  k * 16^(COMB*j) * B,  j < 64/COMB,
 *    k = 1..8, stored in the "(y+x, y-x, 2*d*x*y)" form so that a table
 *    addition costs 7 multiplications and negation is a swap. With COMB = 4 the
 *    table holds 16 * 8 = 128 points = 384 BigInts, ~21 KB of QuickJS heap
 *    (each 255-bit BigInt is a 40-byte JSBigInt -> 48-byte malloc chunk, plus
 *    an 8-byte array slot), built on first use in ~5-10 ms, and [s]B costs 64
 *    table additions + 12 doublings. See COMB below and bench/ed25519-quickjs.mjs.
 *  - Verification uses Straus/Shamir: [S]B + [k](-A) in one doubling chain,
 *    with 4-bit signed windows for both scalars (the B multiples come from the
 *    first window of the comb table, the 8 multiples of -A are computed per
 *    call).
 *
 * NOT constant time: BigInt operations, table indices and skipped zero digits
 * all depend on secret data. This is the same trade-off as any BigInt
 * Ed25519 in JavaScript; do not use it where an attacker can time
 * individual signing operations with high precision.
 *
 * Verification strictness (§5.1.7), compared with tweetnacl 1.0.3
 * (nacl.sign.detached.verify / crypto_sign_open):
 *  - S must satisfy 0 <= S < L. tweetnacl does not check this (it accepts
 *    S + L, S + 2L, ... i.e. malleable signatures). Stricter.
 *  - The public key A must be a canonical encoding (y < p, §5.1.3 step 1)
 *    and must not be "x = 0 with sign bit 1" (§5.1.3 step 4). tweetnacl
 *    silently reduces y mod p and ignores the sign bit when x = 0. Stricter.
 *  - A must be on the curve (§5.1.3 steps 2-3). Same as tweetnacl.
 *  - R is not decoded; instead R' = [S]B - [k]A is computed and its canonical
 *    encoding is compared byte-for-byte with the R half of the signature.
 *    Encoding is a bijection between curve points and canonical encodings, so
 *    this accepts exactly when R is a valid canonical encoding of a point and
 *    [S]B = R + [k]A, i.e. the cofactorless equation that §5.1.7 step 3
 *    explicitly allows ("sufficient, but not required"). tweetnacl does the
 *    same comparison, so for canonical A and S < L both accept exactly the same
 *    signatures. Small-order A or R are not rejected (the RFC, tweetnacl and
 *    OpenSSL do not either; libsodium does).
 *  Therefore every signature tweetnacl rejects is rejected here too. For
 *  reference, Node 20's OpenSSL crypto.verify also rejects S >= L but accepts
 *  non-canonical A and "x = 0, sign 1" A (test/unit/ed25519.test.ts checks
 *  all three behaviours). Wrong lengths / non-Uint8Array arguments return
 *  false instead of throwing (tweetnacl throws).
 */

export type Sha512 = (msg: Uint8Array) => Uint8Array; // returns 64 bytes

export interface Ed25519 {
  /** RFC 8032 §5.1.5: 32-byte public key for a 32-byte private key (seed). */
  publicKey(seed32: Uint8Array): Uint8Array;
  /** RFC 8032 §5.1.6. secretKey64 = seed32 || pub32 (tweetnacl layout); returns 64 bytes R || S. */
  sign(msg: Uint8Array, secretKey64: Uint8Array): Uint8Array;
  /** RFC 8032 §5.1.7 (strict, see module comment). Never throws: bad input returns false. */
  verify(msg: Uint8Array, sig: Uint8Array, pub32: Uint8Array): boolean;
}

// ---------------------------------------------------------------------------
// Constants (§5.1). BigInt literals are parsed once at module load: cheap.
// ---------------------------------------------------------------------------

/** Field prime p = 2^255 - 19. */
const P = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffedn;
/** Group order L = 2^252 + 27742317777372353535851937790883648493. */
const L = 0x1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3edn;
/** Curve constant d = -121665/121666 mod p. */
const D = 0x52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3n;
/** 2*d mod p (used by the §5.1.4 addition formula). */
const D2 = 0x2406d9dc56dffce7198e80f2eef3d13000e0149a8283b156ebd69b9426b2f159n;
/** sqrt(-1) = 2^((p-1)/4) mod p (§5.1.3 step 3). */
const SQRT_M1 = 0x2b8324804fc1df0b2b4d00993dfbd7a72f431806ad2fe478c4ee1b274a0ea0b0n;
/** Base point B (§5.1): x coordinate, y = 4/5. */
const BX = 0x216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51an;
const BY = 0x6666666666666666666666666666666666666666666666666666666666666658n;

/** 2^255 - 1: mask for the y coordinate in an encoding (§5.1.2). */
const MASK255 = (1n << 255n) - 1n;
/** Clamping mask of §5.1.5 step 2: clear bits 0..2 and 255 (bit 254 is set separately). */
const CLAMP_MASK = (1n << 254n) - 8n;
const BIT254 = 1n << 254n;
const U32 = 0xffffffffn;

/**
 * Comb spacing of the fixed-base table: the table holds 64/COMB windows of
 * 8 points each; [s]B then costs 64 additions and 4*(COMB-1) doublings
 * (~6 us each in QuickJS).
 *   COMB = 1: 512 points (~84 KB heap),  0 doublings
 *   COMB = 2: 256 points (~42 KB),       4 doublings
 *   COMB = 4: 128 points (~21 KB),      12 doublings   <- chosen
 *   COMB = 8:  64 points (~11 KB),      28 doublings
 * Going from COMB = 1 to 4 costs ~0.07 ms per [s]B, while a signature costs
 * ~1.6 ms in QuickJS, half of it SHA-512. Must divide 64.
 */
const COMB = 4;
const WINDOWS = 64 / COMB;

// ---------------------------------------------------------------------------
// Field helpers
// ---------------------------------------------------------------------------

/** Canonical representative in [0, p). */
function modP(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

/** x^(2^k) mod p. */
function pow2k(x: bigint, k: number): bigint {
  while (k-- > 0) x = (x * x) % P;
  return x;
}

/**
 * x^(2^252 - 3) = x^((p-5)/8) mod p, via the standard addition chain
 * (250 squarings + 11 multiplications). Also returns x^3 for the inversion.
 */
function powP58(x: bigint): [bigint, bigint] {
  const x2 = (x * x) % P;
  const x3 = (x2 * x) % P; // 2^2 - 1
  const b4 = (pow2k(x3, 2) * x3) % P; // 2^4 - 1
  const b5 = (pow2k(b4, 1) * x) % P; // 2^5 - 1
  const b10 = (pow2k(b5, 5) * b5) % P;
  const b20 = (pow2k(b10, 10) * b10) % P;
  const b40 = (pow2k(b20, 20) * b20) % P;
  const b80 = (pow2k(b40, 40) * b40) % P;
  const b160 = (pow2k(b80, 80) * b80) % P;
  const b240 = (pow2k(b160, 80) * b80) % P;
  const b250 = (pow2k(b240, 10) * b10) % P; // 2^250 - 1
  return [(pow2k(b250, 2) * x) % P, x3]; // 2^252 - 3
}

/** x^(p-2) = 1/x mod p (Fermat); 0 maps to 0. */
function invert(x: bigint): bigint {
  const [p58, x3] = powP58(x);
  return (pow2k(p58, 3) * x3) % P; // (2^252-3)*8 + 3 = 2^255 - 21 = p - 2
}

// ---------------------------------------------------------------------------
// Byte <-> BigInt (little endian, §5.1.2). 32-bit words are the cheapest path
// in QuickJS (faster than building a hex string).
// ---------------------------------------------------------------------------

/** Little-endian bytes b[off .. off+len) -> BigInt. len must be a multiple of 4. */
function leToBig(b: Uint8Array, off: number, len: number): bigint {
  let x = 0n;
  for (let i = off + len - 4; i >= off; i -= 4) {
    const w = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
    x = (x << 32n) | BigInt(w);
  }
  return x;
}

/** 0 <= x < 2^256 -> 32 little-endian bytes at out[off..off+32). */
function bigToLE32(x: bigint, out: Uint8Array, off: number): void {
  for (let i = off; i < off + 32; i += 4) {
    const w = Number(x & U32);
    out[i] = w & 255;
    out[i + 1] = (w >>> 8) & 255;
    out[i + 2] = (w >>> 16) & 255;
    out[i + 3] = w >>> 24;
    x >>= 32n;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

/** SHA-512 output (64 bytes, little endian integer) mod L (§5.1.6 steps 2 and 4). */
function hashToScalar(h: Uint8Array): bigint {
  if (h.length !== 64) throw new Error('ed25519: sha512 must return 64 bytes');
  return leToBig(h, 0, 64) % L;
}

/**
 * Signed radix-16 recoding of 0 <= s < 2^253 (every scalar here is reduced
 * mod L first): s = sum e[i] * 16^i, e[i] in [-8, 7] for i < 63, and
 * 0 <= e[63] <= 2 (the top nibble of s is at most 1).
 */
function recode(s: bigint, e: Int8Array): void {
  let carry = 0;
  for (let w = 0; w < 8; w++) {
    const word = Number(s & U32);
    s >>= 32n;
    for (let n = 0; n < 8; n++) {
      const v = ((word >>> (4 * n)) & 15) + carry; // 0..16
      carry = v >= 8 ? 1 : 0;
      e[w * 8 + n] = v - (carry << 4);
    }
  }
}

// ---------------------------------------------------------------------------
// Points (extended coordinates, §5.1.4)
// ---------------------------------------------------------------------------

interface Pt {
  X: bigint;
  Y: bigint;
  Z: bigint;
  T: bigint;
}

function identity(): Pt {
  return { X: 0n, Y: 1n, Z: 1n, T: 0n };
}

/**
 * p <- 2p. §5.1.4 doubling: A = X1^2, B = Y1^2, C = 2*Z1^2, H = A+B,
 * E = H-(X1+Y1)^2, G = A-B, F = C+G, X3 = E*F, Y3 = G*H, T3 = E*H, Z3 = F*G.
 * The input T is not used; T3 is only computed when the next operation is an
 * addition (wantT).
 */
function dbl(p: Pt, wantT: boolean): void {
  const X1 = p.X;
  const Y1 = p.Y;
  const Z1 = p.Z;
  const A = (X1 * X1) % P;
  const B = (Y1 * Y1) % P;
  const zz = (Z1 * Z1) % P;
  const H = A + B;
  const s = X1 + Y1;
  const E = H - ((s * s) % P);
  const G = A - B;
  const F = zz + zz + G;
  p.X = (E * F) % P;
  p.Y = (G * H) % P;
  p.Z = (F * G) % P;
  if (wantT) p.T = (E * H) % P;
}

/**
 * p <- p + q, both extended. §5.1.4 addition: A = (Y1-X1)*(Y2-X2),
 * B = (Y1+X1)*(Y2+X2), C = T1*2*d*T2, D = Z1*2*Z2, E = B-A, F = D-C, G = D+C,
 * H = B+A, X3 = E*F, Y3 = G*H, T3 = E*H, Z3 = F*G.
 */
function addExt(p: Pt, q: Pt): void {
  const A = ((p.Y - p.X) * (q.Y - q.X)) % P;
  const B = ((p.Y + p.X) * (q.Y + q.X)) % P;
  const C = (((p.T * D2) % P) * q.T) % P;
  const Dd = (p.Z * q.Z * 2n) % P;
  const E = B - A;
  const F = Dd - C;
  const G = Dd + C;
  const H = B + A;
  p.X = (E * F) % P;
  p.Y = (G * H) % P;
  p.Z = (F * G) % P;
  p.T = (E * H) % P;
}

/**
 * p <- p + (neg ? -Q : Q) where Q is an affine table point stored at
 * tbl[i..i+3) as (y+x, y-x, 2*d*x*y) (so Z2 = 1 and 2*d*T2 is precomputed:
 * the §5.1.4 addition in 7 multiplications). -Q = (-x, y) swaps the first two
 * entries and negates the third.
 */
function addNiels(p: Pt, tbl: bigint[], i: number, neg: boolean, wantT: boolean): void {
  let ypx = tbl[i]!;
  let ymx = tbl[i + 1]!;
  let t2d = tbl[i + 2]!;
  if (neg) {
    const tmp = ypx;
    ypx = ymx;
    ymx = tmp;
    t2d = -t2d;
  }
  const A = ((p.Y - p.X) * ymx) % P;
  const B = ((p.Y + p.X) * ypx) % P;
  const C = (p.T * t2d) % P;
  const Dd = p.Z + p.Z;
  const E = B - A;
  const F = Dd - C;
  const G = Dd + C;
  const H = B + A;
  p.X = (E * F) % P;
  p.Y = (G * H) % P;
  p.Z = (F * G) % P;
  if (wantT) p.T = (E * H) % P;
}

/**
 * p <- p + (neg ? -Q : Q) where Q is projective, cached at c[i..i+4) as
 * (Y+X, Y-X, 2*d*T, 2*Z): the §5.1.4 addition in 8 multiplications.
 */
function addCached(p: Pt, c: bigint[], i: number, neg: boolean, wantT: boolean): void {
  let ypx = c[i]!;
  let ymx = c[i + 1]!;
  let t2d = c[i + 2]!;
  if (neg) {
    const tmp = ypx;
    ypx = ymx;
    ymx = tmp;
    t2d = -t2d;
  }
  const A = ((p.Y - p.X) * ymx) % P;
  const B = ((p.Y + p.X) * ypx) % P;
  const C = (p.T * t2d) % P;
  const Dd = (p.Z * c[i + 3]!) % P;
  const E = B - A;
  const F = Dd - C;
  const G = Dd + C;
  const H = B + A;
  p.X = (E * F) % P;
  p.Y = (G * H) % P;
  p.Z = (F * G) % P;
  if (wantT) p.T = (E * H) % P;
}

/** §5.1.2 encoding: 32 bytes of y (little endian), top bit = lowest bit of x. */
function encodePoint(p: Pt, out: Uint8Array, off: number): void {
  const zi = invert(p.Z);
  const x = modP(p.X * zi);
  const y = modP(p.Y * zi);
  bigToLE32(y, out, off);
  if (x & 1n) out[off + 31] = out[off + 31]! | 0x80;
}

/**
 * §5.1.3 decoding, strict: returns null for y >= p, for points not on the
 * curve and for x = 0 with the sign bit set.
 */
function decodePoint(b: Uint8Array): Pt | null {
  const v256 = leToBig(b, 0, 32);
  const y = v256 & MASK255; // step 1
  const x0 = (v256 >> 255n) === 1n;
  if (y >= P) return null; // step 1: non-canonical y
  // step 2: x^2 = u/v with u = y^2 - 1, v = d*y^2 + 1;
  //         candidate x = u * v^3 * (u * v^7)^((p-5)/8)
  const yy = (y * y) % P;
  const u = yy - 1n;
  const v = (D * yy + 1n) % P;
  const v3 = (((v * v) % P) * v) % P;
  const v7 = (((v3 * v3) % P) * v) % P;
  const [p58] = powP58((u * v7) % P);
  let x = modP(((u * v3) % P) * p58);
  // step 3
  const vxx = modP(((x * x) % P) * v);
  const uu = modP(u);
  if (vxx !== uu) {
    if (vxx === modP(-uu)) x = (x * SQRT_M1) % P;
    else return null; // not on the curve
  }
  // step 4
  if (x === 0n && x0) return null;
  if ((x & 1n) === 1n !== x0) x = P - x;
  return { X: x, Y: y, Z: 1n, T: (x * y) % P };
}

// ---------------------------------------------------------------------------
// Fixed-base table (lazy)
// ---------------------------------------------------------------------------

/**
 * WINDOWS * 8 affine points, flat: entry ((j*8 + k-1)*3 + c) holds coordinate
 * c of (k * 16^(COMB*j)) * B in the (y+x, y-x, 2dxy) form, canonical in [0, p).
 * Window 0 is [1..8]B, which verification also uses.
 */
let baseTable: bigint[] | null = null;

/** Builds the fixed-base table (once). Cost: ~5-10 ms in QuickJS, see bench/. */
function getBaseTable(): bigint[] {
  if (baseTable !== null) return baseTable;
  const n = WINDOWS * 8;
  const pts: Pt[] = [];
  const base: Pt = { X: BX, Y: BY, Z: 1n, T: (BX * BY) % P };
  for (let j = 0; j < WINDOWS; j++) {
    const acc: Pt = { X: base.X, Y: base.Y, Z: base.Z, T: base.T };
    for (let k = 1; k <= 8; k++) {
      if (k > 1) addExt(acc, base);
      pts.push({ X: acc.X, Y: acc.Y, Z: acc.Z, T: acc.T });
    }
    if (j + 1 < WINDOWS) {
      for (let i = 0; i < 4 * COMB; i++) dbl(base, i === 4 * COMB - 1);
    }
  }
  // Batch inversion of all Z (Montgomery's trick): 1 inversion + 3n mults.
  const prefix: bigint[] = new Array<bigint>(n);
  let accZ = 1n;
  for (let i = 0; i < n; i++) {
    prefix[i] = accZ;
    accZ = (accZ * pts[i]!.Z) % P;
  }
  let inv = invert(accZ);
  const tbl: bigint[] = new Array<bigint>(3 * n);
  for (let i = n - 1; i >= 0; i--) {
    const pt = pts[i]!;
    const zi = (inv * prefix[i]!) % P;
    inv = (inv * pt.Z) % P;
    const x = modP(pt.X * zi);
    const y = modP(pt.Y * zi);
    tbl[3 * i] = modP(y + x);
    tbl[3 * i + 1] = modP(y - x);
    tbl[3 * i + 2] = modP(((x * y) % P) * D2);
  }
  baseTable = tbl;
  return tbl;
}

/**
 * [s]B for 0 <= s < L (§5.1.5 step 3, §5.1.6 step 3).
 * With digits e_i: [s]B = sum_{t<COMB} 16^t * sum_{j<WINDOWS} e_{COMB*j+t} * (16^(COMB*j) B),
 * evaluated Horner-style in t (4 doublings between rounds).
 */
function mulBase(s: bigint): Pt {
  const tbl = getBaseTable();
  const e = new Int8Array(64);
  recode(s, e);
  const acc = identity();
  for (let t = COMB - 1; t >= 0; t--) {
    if (t !== COMB - 1) {
      dbl(acc, false);
      dbl(acc, false);
      dbl(acc, false);
      dbl(acc, true);
    }
    for (let j = 0; j < WINDOWS; j++) {
      const d = e[COMB * j + t]!;
      if (d !== 0) addNiels(acc, tbl, (j * 8 + (d < 0 ? -d : d) - 1) * 3, d < 0, true);
    }
  }
  return acc;
}

/**
 * [s]B + [k]Q (Straus/Shamir, one shared doubling chain) for s, k < L.
 * B multiples come from window 0 of the base table, the 8 multiples of Q are
 * computed here in cached form (Y+X, Y-X, 2dT, 2Z).
 */
function mulDoubleBase(s: bigint, k: bigint, q: Pt): Pt {
  const tbl = getBaseTable();
  const es = new Int8Array(64);
  const ek = new Int8Array(64);
  recode(s, es);
  recode(k, ek);
  const qc: bigint[] = new Array<bigint>(32);
  const m: Pt = { X: q.X, Y: q.Y, Z: q.Z, T: q.T };
  for (let i = 0; i < 8; i++) {
    if (i > 0) addExt(m, q);
    qc[4 * i] = m.Y + m.X;
    qc[4 * i + 1] = m.Y - m.X;
    qc[4 * i + 2] = (m.T * D2) % P;
    qc[4 * i + 3] = m.Z + m.Z;
  }
  const acc = identity();
  let started = false;
  for (let i = 63; i >= 0; i--) {
    const dk = ek[i]!;
    const ds = es[i]!;
    if (started) {
      dbl(acc, false);
      dbl(acc, false);
      dbl(acc, false);
      dbl(acc, true);
    }
    if (dk !== 0) {
      addCached(acc, qc, ((dk < 0 ? -dk : dk) - 1) * 4, dk < 0, true);
      started = true;
    }
    if (ds !== 0) {
      addNiels(acc, tbl, ((ds < 0 ? -ds : ds) - 1) * 3, ds < 0, true);
      started = true;
    }
  }
  return acc;
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * Builds the fixed-base table now instead of on first use (it is otherwise
 * built lazily by the first publicKey/sign/verify call). Returns the number
 * of BigInt coordinates stored. Exposed for benchmarks and warm-up.
 */
export function ed25519Precompute(): number {
  return getBaseTable().length;
}

/** §5.1.5 step 2: clamp the first half of the SHA-512 of the seed. */
function clampedScalar(h: Uint8Array): bigint {
  return (leToBig(h, 0, 32) & CLAMP_MASK) | BIT254;
}

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

export function createEd25519(sha512: Sha512): Ed25519 {
  function expand(seed: Uint8Array): Uint8Array {
    const h = sha512(seed);
    if (h.length !== 64) throw new Error('ed25519: sha512 must return 64 bytes');
    return h;
  }

  function publicKey(seed32: Uint8Array): Uint8Array {
    if (!isBytes(seed32) || seed32.length !== 32) throw new Error('ed25519: bad seed size');
    const h = expand(seed32); // §5.1.5 step 1
    const a = clampedScalar(h) % L; // step 2 ([a]B = [a mod L]B since B has order L)
    const out = new Uint8Array(32);
    encodePoint(mulBase(a), out, 0); // steps 3-4
    return out;
  }

  function sign(msg: Uint8Array, secretKey64: Uint8Array): Uint8Array {
    if (!isBytes(msg)) throw new Error('ed25519: message must be a Uint8Array');
    if (!isBytes(secretKey64) || secretKey64.length !== 64) throw new Error('ed25519: bad secret key size');
    // §5.1.6 step 1: s = clamped h[0..32), prefix = h[32..64). Like tweetnacl,
    // the public key is taken from secretKey64[32..64) and not recomputed.
    const h = expand(secretKey64.subarray(0, 32));
    const s = clampedScalar(h) % L;
    const pub = secretKey64.subarray(32, 64);
    // step 2: r = SHA-512(prefix || M) mod L
    const r = hashToScalar(sha512(concat(h.subarray(32, 64), msg)));
    // step 3: R = [r]B
    const sig = new Uint8Array(64);
    encodePoint(mulBase(r), sig, 0);
    // step 4: k = SHA-512(R || A || M) mod L
    const k = hashToScalar(sha512(concat(sig.subarray(0, 32), pub, msg)));
    // step 5: S = (r + k*s) mod L
    bigToLE32((r + k * s) % L, sig, 32);
    return sig; // step 6: R || S
  }

  function verify(msg: Uint8Array, sig: Uint8Array, pub32: Uint8Array): boolean {
    try {
      if (!isBytes(msg) || !isBytes(sig) || !isBytes(pub32)) return false;
      if (sig.length !== 64 || pub32.length !== 32) return false;
      // §5.1.7 step 1: S must be < L; A must decode (strictly, §5.1.3).
      const S = leToBig(sig, 32, 32);
      if (S >= L) return false;
      const A = decodePoint(pub32);
      if (A === null) return false;
      // step 2: k = SHA-512(R || A || M) mod L (A as given; it is canonical here)
      const k = hashToScalar(sha512(concat(sig.subarray(0, 32), pub32, msg)));
      // step 3 (cofactorless): R' = [S]B + [k](-A), compare encoding with R.
      const negA: Pt = { X: -A.X, Y: A.Y, Z: 1n, T: -A.T };
      const enc = new Uint8Array(32);
      encodePoint(mulDoubleBase(S, k, negA), enc, 0);
      let diff = 0;
      for (let i = 0; i < 32; i++) diff |= enc[i]! ^ sig[i]!;
      return diff === 0;
    } catch {
      return false;
    }
  }

  return { publicKey, sign, verify };
}
