// Byte helpers for the portable core. QuickJS has no TextEncoder, atob or Node byte arrays, so
// hex, UTF-8 and CRC-32 live here once, used by the codec, the journal and the crypto.

const DIGITS = '0123456789abcdef';

/** Lowercase hex. No 256-entry table: on a 1 MiB heap its strings cost more than the lookups save. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += DIGITS[b[i]! >> 4]! + DIGITS[b[i]! & 15]!;
  return s;
}

/** Parses lowercase or uppercase hex; returns null on odd length or a non-hex digit. */
export function fromHex(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * UTF-8 encode (RFC 3629); lone surrogates become U+FFFD. Two passes straight into one Uint8Array:
 * the checkpoint's ledger JSON is ~100 KB, and an intermediate JS array would cost 10x that.
 */
export function utf8(s: string): Uint8Array {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n += 4; i++; }
    else n += 3;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) { out[o++] = c; continue; }
    if (c < 0x800) { out[o++] = 0xc0 | (c >> 6); out[o++] = 0x80 | (c & 63); continue; }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[o++] = 0xf0 | (c >> 18); out[o++] = 0x80 | ((c >> 12) & 63); out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    out[o++] = 0xe0 | (c >> 12); out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63);
  }
  return out;
}

/** UTF-8 decode (RFC 3629); malformed sequences become U+FFFD. */
export function fromUtf8(b: Uint8Array): string {
  let s = '';
  const chunk: number[] = [];
  const flush = () => { s += String.fromCharCode.apply(null, chunk); chunk.length = 0; };
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    let cp = 0xfffd, n = 1;
    if (c < 0x80) cp = c;
    else if (c >= 0xc2 && c < 0xe0 && i + 1 < b.length) { cp = ((c & 31) << 6) | (b[i + 1]! & 63); n = 2; }
    else if (c >= 0xe0 && c < 0xf0 && i + 2 < b.length) { cp = ((c & 15) << 12) | ((b[i + 1]! & 63) << 6) | (b[i + 2]! & 63); n = 3; }
    else if (c >= 0xf0 && c < 0xf5 && i + 3 < b.length) { cp = ((c & 7) << 18) | ((b[i + 1]! & 63) << 12) | ((b[i + 2]! & 63) << 6) | (b[i + 3]! & 63); n = 4; }
    i += n;
    if (cp > 0xffff) { cp -= 0x10000; chunk.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023)); } else chunk.push(cp);
    if (chunk.length > 4096) flush();
  }
  flush();
  return s;
}

/**
 * Strict UTF-8 decode (RFC 3629 §3) of b[from, to): null for any ill-formed sequence (overlong,
 * surrogate, beyond U+10FFFF, truncated), so one text never has two spellings in signed input.
 */
export function fromUtf8Strict(b: Uint8Array, from = 0, to = b.length): string | null {
  let s = '';
  const chunk: number[] = [];
  for (let i = from; i < to;) {
    const c = b[i]!;
    let cp: number, n: number;
    if (c < 0x80) { cp = c; n = 1; }
    else if (c >= 0xc2 && c < 0xe0) { cp = c & 31; n = 2; }
    else if (c >= 0xe0 && c < 0xf0) { cp = c & 15; n = 3; }
    else if (c >= 0xf0 && c < 0xf5) { cp = c & 7; n = 4; }
    else return null;
    if (i + n > to) return null;
    for (let k = 1; k < n; k++) {
      const x = b[i + k]!;
      if ((x & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (x & 63);
    }
    if ((n === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff))) return null;
    i += n;
    if (cp > 0xffff) { cp -= 0x10000; chunk.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023)); } else chunk.push(cp);
    if (chunk.length > 4096) { s += String.fromCharCode.apply(null, chunk); chunk.length = 0; }
  }
  return s + String.fromCharCode.apply(null, chunk);
}

// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320): frames a journal record so a torn tail is seen.
let CRC_TABLE: Int32Array | null = null;
export function crc32(b: Uint8Array, from = 0, to = b.length): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c;
    }
  }
  let c = -1;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24; b[off + 1] = (v >>> 16) & 0xff; b[off + 2] = (v >>> 8) & 0xff; b[off + 3] = v & 0xff;
}
export function readU32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** A copy that owns its own ArrayBuffer (the VM bridge may hand out views). */
export function own(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}
