// A small PNG reader for screenshots (8-bit RGB or RGBA, not interlaced: what Chromium writes), so
// tests can compare rendered regions pixel by pixel without an image library.
import { inflateSync } from 'node:zlib';

export interface Png { width: number; height: number; rgba: Uint8Array }

export function readPng(buf: Uint8Array): Png {
  const b = Buffer.from(buf);
  if (b.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8, width = 0, height = 0, type = 0;
  const idat: Buffer[] = [];
  while (off < b.length) {
    const len = b.readUInt32BE(off), kind = b.toString('latin1', off + 4, off + 8);
    const data = b.subarray(off + 8, off + 8 + len);
    if (kind === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4); type = data[9]!;
      if (data[8] !== 8 || (type !== 2 && type !== 6) || data[12] !== 0) throw new Error('PNG: only 8-bit RGB/RGBA, not interlaced');
    } else if (kind === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const bpp = type === 6 ? 4 : 3, stride = width * bpp;
  const raw = inflateSync(Buffer.concat(idat));
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!, src = y * (stride + 1) + 1, dst = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[dst + x - bpp]! : 0, up = y ? px[dst - stride + x]! : 0, c = y && x >= bpp ? px[dst - stride + x - bpp]! : 0;
      const v = raw[src + x]!;
      const p = a + up - c, pa = Math.abs(p - a), pb = Math.abs(p - up), pc = Math.abs(p - c);
      px[dst + x] = (v + [0, a, up, (a + up) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? up : c][f]!) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = px[i * bpp]!; rgba[i * 4 + 1] = px[i * bpp + 1]!; rgba[i * 4 + 2] = px[i * bpp + 2]!; rgba[i * 4 + 3] = bpp === 4 ? px[i * bpp + 3]! : 255;
  }
  return { width, height, rgba };
}

/** Grey levels (0 = black ink) of a rectangle. */
export function region(p: Png, x0: number, y0: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = ((y0 + y) * p.width + x0 + x) * 4;
    out[y * w + x] = Math.round((p.rgba[i]! + p.rgba[i + 1]! + p.rgba[i + 2]!) / 3);
  }
  return out;
}

/** Of the pixels inked in either region, the share that differ by more than anti-aliasing does. */
export function difference(a: Uint8Array, b: Uint8Array): number {
  let n = 0, inked = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! >= 128 && b[i]! >= 128) continue;
    inked++;
    if (Math.abs(a[i]! - b[i]!) > 40) n++;
  }
  return inked ? n / inked : 0;
}

/** The share of pixels with ink. */
export const ink = (a: Uint8Array): number => a.filter((v) => v < 128).length / a.length;
