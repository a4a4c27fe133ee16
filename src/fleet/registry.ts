// The device registry (SPEC §7): a folder with one DEV.pub per provisioned terminal (64 lowercase
// hex chars, what `preflight keys new` and provisioning write). Unknown ids are answered as values.
// The fleet a device belongs to (the {fleet} of its topics, where its acks and commands go) is named
// by REGISTRY/DEV.fleet, else by REGISTRY/fleet for the whole folder; one line, a topic segment.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '../core/util/bytes';
import { fail, ok, type Result } from '../core/util/result';

/** Device ids that may name a file: no path separators, no dot-files (and NATS maps '.' badly). */
export const DEV_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** How long a miss is remembered, so unknown senders cannot make us hit the disk per message. */
const MISS_TTL_MS = 5_000;
/** How long a key is trusted before the file is read again (a device removed or re-keyed). */
const HIT_TTL_MS = 60_000;

/** Fleet names become a topic segment: no '/', '+', '#' or '.' (NATS maps '.' badly). */
export const FLEET_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * The fleet the registry names for `dev` (DEV.fleet, else the folder's `fleet` file), null when it
 * names none; a file that holds no valid name is a failure, never silently ignored.
 */
export function registryFleet(dir: string, dev: string): Result<string | null> {
  for (const name of [`${dev}.fleet`, 'fleet']) {
    const p = join(dir, name);
    if (!existsSync(p)) continue;
    let s: string;
    try { s = readFileSync(p, 'utf8').trim(); } catch { return fail(`registry file ${name}: cannot be read`); }
    if (!FLEET_RE.test(s)) return fail(`registry file ${name} must hold one fleet name (letters, digits, _ or -), got "${s.slice(0, 40)}"`);
    return ok(s);
  }
  return ok(null);
}

export class Registry {
  private fleets = new Map<string, { fleet: string | null; at: number }>();

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

  /** The fleet the registry names for `dev` (cached like keys); null when it names none or the file is bad. */
  fleetOf(dev: string): string | null {
    const hit = this.fleets.get(dev);
    if (hit && this.now() - hit.at < HIT_TTL_MS) return hit.fleet;
    const r = DEV_RE.test(dev) ? registryFleet(this.dir, dev) : ok(null);
    const fleet = r.ok ? r.value : null;
    if (this.fleets.size > 100_000) this.fleets.clear();
    this.fleets.set(dev, { fleet, at: this.now() });
    return fleet;
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
