// A terminal's flash as a folder (the `--data DIR` of SPEC §2): one file per HAL storage name, the
// keystore and the image slots in partitions of their own. The simulator's HAL writes through it
// (adding power cuts and faults); the tools that only read a terminal (doctor, journal export,
// enrolment) open it read-only, so they can never change what they explain.

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync,
         truncateSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HAL_ABI, ST, STORAGE_NAME, type Hal, type Status } from '../core/hal/types';

/** Names that are not the agent's flash: the keystore's partition and the loader's image slots. */
const PARTITION = /^(keystore|img)(\/|$)/;

type Storage = Hal['storage'];

export class FolderStorage implements Storage {
  /** Bytes the agent's files take (the keystore, image slots and dot-files are not counted). */
  used = 0;
  bytesRead = 0;

  constructor(readonly dir: string, private capacityBytes: number) {
    this.used = existsSync(dir) ? scanUsed(dir) : 0;
  }

  /** The file behind a storage name, or null for a name the agent may not use. */
  path(name: string): string | null {
    return STORAGE_NAME.test(name) && name.length < 200 && !PARTITION.test(name) ? join(this.dir, name) : null;
  }

  /** The file the journal appends to, kept open (an open/write/close per entry was most of a decision's time). */
  private tail: { name: string; fd: number } | null = null;

  /** Closes the kept file; the next append opens it again. Before anything renames, truncates or removes it. */
  close(name?: string): void {
    if (this.tail && (name === undefined || this.tail.name === name)) { closeSync(this.tail.fd); this.tail = null; }
  }

  size = (name: string): number => {
    const p = this.path(name);
    return p ? statSync(p, { throwIfNoEntry: false })?.size ?? -1 : -1;
  };

  read = (name: string, offset: number, length: number): Uint8Array | null => {
    const p = this.path(name);
    if (!p || offset < 0 || length < 0) return null;
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st || !st.isFile() || offset > st.size) return null;
    const out = new Uint8Array(Math.min(length, st.size - offset));
    const fd = openSync(p, 'r');
    try { for (let got = 0; got < out.length;) { const n = readSync(fd, out, got, out.length - got, offset + got); if (n <= 0) break; got += n; } } finally { closeSync(fd); }
    this.bytesRead += out.length;
    return out;
  };

  append = (name: string, data: Uint8Array): Status => {
    const p = this.path(name);
    if (!p) return ST.INVALID;
    if (this.freeBytes() < data.length) return ST.NO_SPACE;
    if (this.tail?.name !== name) {
      this.close();
      mkdirSync(dirname(p), { recursive: true });
      this.tail = { name, fd: openSync(p, 'a') };
    }
    for (let put = 0; put < data.length;) put += writeSync(this.tail.fd, data, put, data.length - put);
    this.used += data.length;
    return ST.OK;
  };

  /** Atomic: a temp file renamed over the old one (rename(2)), so a reader sees old or new. */
  replace = (name: string, data: Uint8Array): Status => {
    const p = this.path(name);
    if (!p) return ST.INVALID;
    const old = existsSync(p) ? statSync(p).size : 0;
    if (this.freeBytes() + old < data.length) return ST.NO_SPACE;
    this.close(name);
    mkdirSync(dirname(p), { recursive: true });
    const tmp = p + '.tmp';
    const fd = openSync(tmp, 'w');
    try { writeSync(fd, data); } finally { closeSync(fd); }
    renameSync(tmp, p);
    this.used += data.length - old;
    return ST.OK;
  };

  /** The first half of a replace that power cut short: a partial temp file, the old file untouched. */
  tornReplace(name: string, data: Uint8Array): void {
    const p = this.path(name);
    if (!p) return;
    mkdirSync(dirname(p), { recursive: true });
    const fd = openSync(p + '.tmp', 'w');
    try { writeSync(fd, data); } finally { closeSync(fd); }
  }

  truncate = (name: string, length: number): Status => {
    const p = this.path(name);
    if (!p || !existsSync(p)) return ST.NOT_FOUND;
    const old = statSync(p).size;
    if (length < old) { this.close(name); truncateSync(p, length); this.used -= old - length; }
    return ST.OK;
  };

  remove = (name: string): Status => {
    const p = this.path(name);
    if (!p || !existsSync(p)) return ST.NOT_FOUND;
    this.used -= statSync(p).size;
    this.close(name);
    rmSync(p);
    return ST.OK;
  };

  list = (prefix: string): string[] => {
    const out: string[] = [];
    const walk = (rel: string) => {
      const abs = join(this.dir, rel);
      if (!existsSync(abs)) return;
      for (const e of readdirSync(abs, { withFileTypes: true })) {
        if (e.name.startsWith('.') || e.name.endsWith('.tmp') || (rel === '' && (e.name === 'keystore' || e.name === 'img'))) continue;
        const r = rel ? rel + '/' + e.name : e.name;
        if (e.isDirectory()) walk(r); else if (r.startsWith(prefix)) out.push(r);
      }
    };
    walk(prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '');
    return out.sort();
  };

  freeBytes = (): number => Math.max(0, this.capacityBytes - this.used);
}

function scanUsed(d: string): number {
  let n = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'keystore' || e.name === 'img') continue;
    const p = join(d, e.name);
    n += e.isDirectory() ? scanUsed(p) : statSync(p).size;
  }
  return n;
}

/**
 * A terminal's data folder as a HAL that can only read: storage writes answer IO, the keystore
 * hands out nothing, the network is off. For tools that explain a terminal without touching it.
 */
export function readOnlyFlash(dir: string, nowMs: () => number = Date.now): Hal {
  const s = new FolderStorage(dir, 1 << 30);
  const refuse = (): Status => ST.IO;
  return {
    abi: HAL_ABI,
    clock: { wallMs: nowMs, monoMs: () => 0 },
    random: { fill: () => ST.UNAVAILABLE },
    storage: { size: s.size, read: s.read, list: s.list, freeBytes: s.freeBytes, append: refuse, replace: refuse, truncate: refuse, remove: refuse },
    keystore: { get: () => null, put: refuse },
    gps: { last: () => null },
    net: { publish: () => ST.OFFLINE, subscribe: refuse, will: refuse, connected: () => false },
    sys: { heapFreeBytes: () => 0, batteryPct: () => -1, firmware: () => 'reader' },
    log: () => {},
  };
}
