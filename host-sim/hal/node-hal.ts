// The simulated terminal's HAL: its flash in the --data folder (src/node/flash-folder.ts), its
// keystore in DIR/keystore (mode 0600), a virtual clock, simulated GPS and memory figures, and
// fault knobs in front of every write (power cut at a chosen write, failing writes, a failing
// signer). The same object backs the QuickJS bridge (vm/) and the core's Node-side tests.

import { createPrivateKey, randomFillSync, sign as nodeSign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAL_ABI, ST, type GpsFix, type Hal, type Status } from '../../src/core/hal/types';
import { FolderStorage } from '../../src/node/flash-folder';

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

/** The firmware version the simulated terminal reports (sys.firmware); images' minFirmware is checked against it. */
export const SIM_FIRMWARE = 'host-sim-1';

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

  constructor(readonly opts: NodeHalOptions) {
    this.trueWallMs = opts.startWallMs;
    mkdirSync(join(opts.dir, 'keystore'), { recursive: true, mode: 0o700 });
    this.flash = new FolderStorage(opts.dir, opts.storageBytes);
    if (!opts.nativeSigner) this.keystore.sign = undefined;
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

  /** The flash itself; the methods below put the power and fault gates in front of its writes. */
  readonly flash: FolderStorage;

  get bytesRead(): number { return this.flash.bytesRead; }

  storage: Hal['storage'] = {
    size: (name) => this.flash.size(name),
    read: (name, offset, length) => this.flash.read(name, offset, length),
    append: (name, data) => {
      if (!this.flash.path(name)) return ST.INVALID;
      if (this.freeBytes() < data.length) return ST.NO_SPACE;
      const g = this.writeGate();
      if (g === 'dead' || g === 'error') return ST.IO;
      if (g === 'cut') {
        if (this.faults.midWrite) this.flash.append(name, data.subarray(0, data.length >> 1));
        this.dead = true;
        return ST.IO;
      }
      if (this.faults.shortWrite) {
        this.faults.shortWrite = false;
        this.flash.append(name, data.subarray(0, data.length >> 1));
        return ST.IO;
      }
      return this.flash.append(name, data);
    },
    replace: (name, data) => {
      if (!this.flash.path(name)) return ST.INVALID;
      const old = Math.max(0, this.flash.size(name));
      if (this.freeBytes() + old < data.length) return ST.NO_SPACE;
      const g = this.writeGate();
      if (g === 'dead' || g === 'error') return ST.IO;
      if (g === 'cut') {
        // Power lost mid-replace: a half-written temp file, the old file untouched (atomic rename).
        if (this.faults.midWrite) this.flash.tornReplace(name, data.subarray(0, data.length >> 1));
        this.dead = true;
        return ST.IO;
      }
      return this.flash.replace(name, data);
    },
    truncate: (name, length) => (this.dead ? (this.flash.size(name) < 0 ? ST.NOT_FOUND : ST.IO) : this.flash.truncate(name, length)),
    remove: (name) => (this.dead ? (this.flash.size(name) < 0 ? ST.NOT_FOUND : ST.IO) : this.flash.remove(name)),
    list: (prefix) => this.flash.list(prefix),
    freeBytes: () => this.freeBytes(),
  };

  freeBytes(): number {
    if (this.storageFreeOverride !== null) return this.storageFreeOverride;
    return this.flash.freeBytes();
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
    firmware: (): string => this.opts.firmware ?? SIM_FIRMWARE,
  };

  log = (level: 0 | 1 | 2 | 3, msg: string): void => {
    if (this.logs.length > 1000) this.logs.shift();
    this.logs.push(`${['debug', 'info', 'warn', 'error'][level] ?? level} ${msg}`);
  };

  /** Power restored: a new boot, the monotonic clock starts again. */
  powerOn(): void { this.dead = false; this.monoMs0 = 0; this.faults.cutAtWrite = null; }
}
