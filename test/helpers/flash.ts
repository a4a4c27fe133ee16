// Flash adapters for tests (device/provision/flash.ts's port): a copy in memory, and a harness that
// passes operations through until the n-th mutation, where power goes (half a write lands if torn).
import type { Flash } from '../../device/provision/flash';

export class PowerCut extends Error {}

export class MemFlash implements Flash {
  files = new Map<string, Uint8Array>();
  dirs = new Set<string>();
  private mkdirs(path: string) { const p = path.split('/'); for (let i = 1; i < p.length; i++) this.dirs.add(p.slice(0, i).join('/')); }
  read(p: string) { const b = this.files.get(p); return b ? b.slice() : null; }
  list(dir: string) {
    const out: string[] = [];
    for (const f of this.files.keys()) if (f.startsWith(dir + '/')) out.push(f.slice(dir.length + 1));
    for (const d of this.dirs) if (d.startsWith(dir + '/')) out.push(d.slice(dir.length + 1) + '/');
    return out.sort();
  }
  write(p: string, d: Uint8Array) { this.mkdirs(p); this.files.set(p, d.slice()); }
  rename(a: string, b: string) {
    this.mkdirs(b);
    if (this.files.has(a)) { this.files.set(b, this.files.get(a)!); this.files.delete(a); return; }
    for (const [k, v] of [...this.files]) if (k.startsWith(a + '/')) { this.files.delete(k); this.files.set(b + k.slice(a.length), v); }
    for (const d of [...this.dirs]) if (d === a || d.startsWith(a + '/')) { this.dirs.delete(d); this.dirs.add(b + d.slice(a.length)); }
  }
  remove(p: string) { this.files.delete(p); if (![...this.files.keys()].some((k) => k.startsWith(p + '/'))) this.dirs.delete(p); }
}

export class CutFlash implements Flash {
  steps = 0;
  ops: string[] = [];
  constructor(private inner: Flash, private cutAt: number | null, private torn = false) {}
  private gate(op: string): boolean {
    this.steps++;
    this.ops.push(op);
    return this.cutAt !== null && this.steps >= this.cutAt;
  }
  read(p: string) { return this.inner.read(p); }
  list(d: string) { return this.inner.list(d); }
  write(p: string, d: Uint8Array) {
    if (this.gate(`write ${p}`)) { if (this.torn) this.inner.write(p, d.subarray(0, d.length >> 1)); throw new PowerCut(); }
    this.inner.write(p, d);
  }
  rename(a: string, b: string) { if (this.gate(`rename ${a} ${b}`)) throw new PowerCut(); this.inner.rename(a, b); }
  remove(p: string) { if (this.gate(`remove ${p}`)) throw new PowerCut(); this.inner.remove(p); }
}
