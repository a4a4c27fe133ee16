// The host-side HAL: a simulated terminal's flash in the --data folder (file per storage name),
// its keystore in DIR/keystore (mode 0600), a virtual clock, simulated GPS and memory figures,
// and fault knobs (power cut at a chosen write, failing writes, a failing signer). The same
// object backs the QuickJS bridge (vm.ts) and the core's Node-side tests.

import { createPrivateKey, randomFillSync, sign as nodeSign } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, statSync,
         truncateSync, writeFileSync, writeSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HAL_ABI, ST, STORAGE_NAME, type GpsFix, type Hal, type Status } from '../src/hal/types';

export interface Faults {
  /** Power is lost at the Nth storage write from now (1 = the next); `midWrite` writes half of it first. */
  cutAtWrite: number | null;
  midWrite: boolean;
  /** Storage writes fail with IO while set (a worn or removed flash chip). */
  writeError: boolean;
  /** The next append writes only half its bytes and reports IO, with the power still on. */
  shortWrite: boolean;
  /** The keystore refuses to hand out the key or to sign (secure element down). */
  signerDown: boolean;
}

export interface NodeHalOptions {
  dir: string;
  storageBytes: number;
  startWallMs: number;
  firmware?: string;
  nativeSigner?: boolean;
  heapFree?: () => number;
}

export interface NetPort {
  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): Status;
  subscribe(filter: string): Status;
  will(topic: string, payload: Uint8Array): Status;
  connected(): boolean;
}

export const offlineNet: NetPort = { publish: () => ST.OFFLINE, subscribe: () => ST.OK, will: () => ST.OK, connected: () => false };


export class NodeHal implements Hal {
  readonly abi = HAL_ABI;
  readonly faults: Faults = { cutAtWrite: null, midWrite: false, writeError: false, shortWrite: false, signerDown: false };
  /** A wall clock stuck at one reading (a dead RTC or an attacker), while monotonic time goes on. */
  frozenWallMs: number | null = null;
  /** Set once power is lost: every later write is silently gone, like on a real board. */
  dead = false;
  writes = 0;
  bytesRead = 0;
  trueWallMs: number;
  skewMs = 0;
  monoMs0 = 0;
  fix: GpsFix | null = null;
  /** A working receiver reports the same position again and again with fresh times; frozen, it does not. */
  fixLive = true;
  heapFreeOverride: number | null = null;
  storageFreeOverride: number | null = null;
  battery = 80;
  net: NetPort = offlineNet;
  logs: string[] = [];
  private used = 0;

  constructor(readonly opts: NodeHalOptions) {
    this.trueWallMs = opts.startWallMs;
    mkdirSync(join(opts.dir, 'keystore'), { recursive: true, mode: 0o700 });
    this.used = this.scanUsed(opts.dir);
    if (!opts.nativeSigner) this.keystore.sign = undefined;
  }

  private scanUsed(d: string): number {
    let n = 0;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      // The keystore and the image slots (img/) are their own partitions, not the agent's flash budget.
      if (e.name.startsWith('.') || e.name === 'keystore' || e.name === 'img') continue;
      const p = join(d, e.name);
      n += e.isDirectory() ? this.scanUsed(p) : statSync(p).size;
    }
    return n;
  }

  private path(name: string): string | null {
    // The agent's flash: not the keystore's partition, nor the image slots the loader owns.
    return STORAGE_NAME.test(name) && name.length < 200 && !/^(keystore|img)(\/|$)/.test(name) ? join(this.opts.dir, name) : null;
  }

  /** Counts a write; returns 'cut' when power goes at this one. */
  private writeGate(): 'ok' | 'cut' | 'dead' | 'error' {
    if (this.dead) return 'dead';
    if (this.faults.writeError) return 'error';
    this.writes++;
    if (this.faults.cutAtWrite !== null) {
      this.faults.cutAtWrite--;
      if (this.faults.cutAtWrite <= 0) { this.faults.cutAtWrite = null; return 'cut'; }
    }
    return 'ok';
  }

  clock = {
    wallMs: () => this.frozenWallMs ?? this.trueWallMs + this.skewMs,
    monoMs: () => this.monoMs0,
  };

  /** Moves virtual time on; the monotonic clock moves with it. */
  advance(ms: number): void { if (ms > 0) { this.trueWallMs += ms; this.monoMs0 += ms; } }

  random = {
    fill: (out: Uint8Array): Status => { randomFillSync(out); return ST.OK; },
  };

  storage = {
    size: (name: string): number => {
      const p = this.path(name);
      if (!p || !existsSync(p)) return -1;
      return statSync(p).size;
    },
    read: (name: string, offset: number, length: number): Uint8Array | null => {
      const p = this.path(name);
      if (!p || !existsSync(p) || offset < 0 || length < 0) return null;
      const b = readFileSync(p);
      if (offset > b.length) return null;
      const out = new Uint8Array(b.subarray(offset, Math.min(b.length, offset + length)));
      this.bytesRead += out.length;
      return out;
    },
    append: (name: string, data: Uint8Array): Status => {
      const p = this.path(name);
      if (!p) return ST.INVALID;
      if (this.freeBytes() < data.length) return ST.NO_SPACE;
      const g = this.writeGate();
      if (g === 'dead') return ST.IO;
      if (g === 'error') return ST.IO;
      mkdirSync(dirname(p), { recursive: true });
      if (g === 'cut') {
        if (this.faults.midWrite) { appendFileSync(p, data.subarray(0, data.length >> 1)); this.used += data.length >> 1; }
        this.dead = true;
        return ST.IO;
      }
      if (this.faults.shortWrite) {
        this.faults.shortWrite = false;
        appendFileSync(p, data.subarray(0, data.length >> 1)); this.used += data.length >> 1;
        return ST.IO;
      }
      appendFileSync(p, data);
      this.used += data.length;
      return ST.OK;
    },
    replace: (name: string, data: Uint8Array): Status => {
      const p = this.path(name);
      if (!p) return ST.INVALID;
      const old = existsSync(p) ? statSync(p).size : 0;
      if (this.freeBytes() + old < data.length) return ST.NO_SPACE;
      const g = this.writeGate();
      if (g === 'dead' || g === 'error') return ST.IO;
      mkdirSync(dirname(p), { recursive: true });
      const tmp = p + '.tmp';
      if (g === 'cut') {
        // Power lost mid-replace: a half-written temp file, the old file untouched (atomic rename).
        if (this.faults.midWrite) writeFileSync(tmp, data.subarray(0, data.length >> 1));
        this.dead = true;
        return ST.IO;
      }
      const fd = openSync(tmp, 'w');
      writeSync(fd, data);
      closeSync(fd);
      renameSync(tmp, p);
      this.used += data.length - old;
      return ST.OK;
    },
    truncate: (name: string, length: number): Status => {
      const p = this.path(name);
      if (!p || !existsSync(p)) return ST.NOT_FOUND;
      if (this.dead) return ST.IO;
      const old = statSync(p).size;
      if (length < old) { truncateSync(p, length); this.used -= old - length; }
      return ST.OK;
    },
    remove: (name: string): Status => {
      const p = this.path(name);
      if (!p || !existsSync(p)) return ST.NOT_FOUND;
      if (this.dead) return ST.IO;
      this.used -= statSync(p).size;
      rmSync(p);
      return ST.OK;
    },
    list: (prefix: string): string[] => {
      const out: string[] = [];
      const walk = (rel: string) => {
        const abs = join(this.opts.dir, rel);
        if (!existsSync(abs)) return;
        for (const e of readdirSync(abs, { withFileTypes: true })) {
          if (e.name.startsWith('.') || e.name.endsWith('.tmp') || (rel === '' && e.name === 'keystore')) continue;
          const r = rel ? rel + '/' + e.name : e.name;
          if (e.isDirectory()) walk(r); else if (r.startsWith(prefix)) out.push(r);
        }
      };
      const top = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      walk(top);
      return out.sort();
    },
    freeBytes: (): number => this.freeBytes(),
  };

  freeBytes(): number {
    if (this.storageFreeOverride !== null) return this.storageFreeOverride;
    return Math.max(0, this.opts.storageBytes - this.used);
  }

  keystore: Hal['keystore'] = {
    get: (slot: string): Uint8Array | null => {
      if (this.faults.signerDown || !/^[\w.-]{1,40}$/.test(slot)) return null;
      const p = join(this.opts.dir, 'keystore', slot);
      return existsSync(p) ? new Uint8Array(readFileSync(p)) : null;
    },
    put: (slot: string, data: Uint8Array): Status => {
      if (this.dead || this.faults.signerDown) return ST.IO;
      if (!/^[\w.-]{1,40}$/.test(slot)) return ST.INVALID;
      const p = join(this.opts.dir, 'keystore', slot);
      writeFileSync(p, data, { mode: 0o600 });
      chmodSync(p, 0o600);
      return ST.OK;
    },
    sign: (slot: string, msg: Uint8Array): Uint8Array | null => {
      if (this.faults.signerDown) return null;
      const p = join(this.opts.dir, 'keystore', slot);
      if (!existsSync(p)) return null;
      // RFC 8410 PKCS#8 wrapping of a raw Ed25519 seed, so Node's native signer can use it.
      const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), readFileSync(p)]);
      return new Uint8Array(nodeSign(null, msg, createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })));
    },
  };

  gps = { last: (): GpsFix | null => (this.fix && this.fixLive ? { ...this.fix, monoMs: this.monoMs0 } : this.fix) };

  sys = {
    heapFreeBytes: (): number => this.heapFreeOverride ?? (this.opts.heapFree ? this.opts.heapFree() : 512 * 1024),
    batteryPct: (): number => this.battery,
    firmware: (): string => this.opts.firmware ?? 'host-sim-1',
  };

  log = (level: 0 | 1 | 2 | 3, msg: string): void => {
    if (this.logs.length > 1000) this.logs.shift();
    this.logs.push(`${['debug', 'info', 'warn', 'error'][level] ?? level} ${msg}`);
  };

  /** Power restored: a new boot, the monotonic clock starts again. */
  powerOn(): void { this.dead = false; this.monoMs0 = 0; this.faults.cutAtWrite = null; }
}
