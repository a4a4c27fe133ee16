// The device registry (SPEC §7): a folder with one DEV.pub per provisioned terminal (64 lowercase
// hex chars, what `preflight keys new` and provisioning write). Unknown ids are answered as values.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '../core/util/bytes';
import { fail, ok, type Result } from '../core/util/result';

/** Device ids that may name a file: no path separators, no dot-files (and NATS maps '.' badly). */
export const DEV_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** How long a miss is remembered, so unknown senders cannot make us hit the disk per message. */
const MISS_TTL_MS = 5_000;
/** How long a key is trusted before the file is read again (a device removed or re-keyed). */
const HIT_TTL_MS = 60_000;

export class Registry {
  private hits = new Map<string, { pub: Uint8Array; at: number }>();
  private misses = new Map<string, { at: number; why: string }>();

  constructor(readonly dir: string, private now: () => number = Date.now) {}

  /** Throws nothing: a bad folder shows up as every device unknown. Use `check()` at start. */
  static check(dir: string): Result<Registry> {
    try {
      if (!statSync(dir).isDirectory()) return fail(`registry ${dir}: not a folder`);
    } catch { return fail(`registry ${dir}: no such folder`); }
    return ok(new Registry(dir));
  }

  lookup(dev: string): Result<Uint8Array> {
    const hit = this.hits.get(dev);
    if (hit && this.now() - hit.at < HIT_TTL_MS) return ok(hit.pub);
    this.hits.delete(dev);
    if (!DEV_RE.test(dev)) return fail(`device id "${dev.slice(0, 80)}" is not a registrable name`);
    const miss = this.misses.get(dev);
    if (miss && this.now() - miss.at < MISS_TTL_MS) return fail(miss.why);
    let why: string;
    try {
      const s = readFileSync(join(this.dir, `${dev}.pub`), 'utf8').trim();
      const pub = /^[0-9a-f]{64}$/.test(s) ? fromHex(s) : null;
      if (pub) { this.hits.set(dev, { pub, at: this.now() }); this.misses.delete(dev); return ok(pub); }
      why = `registry file ${dev}.pub does not hold 64 lowercase hex chars`;
    } catch { why = `device ${dev} is not in the registry`; }
    if (this.misses.size > 10_000) this.misses.clear();
    this.misses.set(dev, { at: this.now(), why });
    return fail(why);
  }
}
