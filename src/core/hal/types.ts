// THE contract between the agent and the platform (SPEC §1). Terminal firmware and host-sim both
// implement it; device/hal-contract.md documents each call for firmware engineers. Rules: every
// call is synchronous and non-blocking, takes and returns data only (numbers, strings, booleans,
// Uint8Array, plain objects), and never throws: failures are Status values or null.

/** The HAL version this bundle speaks; `agent.start` refuses a HAL with another. */
export const HAL_ABI = 1;

/** 0 is success; failures are negative, errno-like so C firmware can pass its own through. */
export type Status = number;
export const ST = {
  OK: 0,
  NOT_FOUND: -2,
  IO: -5,
  INVALID: -22,
  NO_SPACE: -28,
  UNAVAILABLE: -38,
  OFFLINE: -100,
} as const;

/** Storage names: flat path segments of letters, digits, '.', '_' and '-', never '..' or absolute. */
export const STORAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

export interface GpsFix {
  lat: number;        // WGS-84 degrees
  lon: number;        // WGS-84 degrees
  accuracyM: number;  // horizontal accuracy, metres (1 sigma as the receiver reports it)
  monoMs: number;     // monotonic time the fix was taken (clock.monoMs scale)
}

export interface Hal {
  abi: number;
  clock: {
    /** Wall clock, epoch milliseconds (UTC). May be wrong or set back: the agent checks it. */
    wallMs(): number;
    /** Monotonic milliseconds since boot; never goes back, unaffected by wall-clock changes. */
    monoMs(): number;
  };
  random: {
    /** Fills `out` with cryptographically strong random bytes. */
    fill(out: Uint8Array): Status;
  };
  /** Flash. Names are flat ("j/000001", "state"); `append` and `replace` are durable on OK. */
  storage: {
    size(name: string): number;                                   // bytes, -1 if absent
    read(name: string, offset: number, length: number): Uint8Array | null;
    append(name: string, data: Uint8Array): Status;               // creates the file if absent
    replace(name: string, data: Uint8Array): Status;              // atomic: old or new, never half
    truncate(name: string, length: number): Status;
    remove(name: string): Status;
    list(prefix: string): string[];                               // names starting with prefix, sorted
    freeBytes(): number;
  };
  /** Secret storage (secure element, protected partition). Slots hold small byte strings. */
  keystore: {
    get(slot: string): Uint8Array | null;
    put(slot: string, data: Uint8Array): Status;
    /** Optional native Ed25519 signature (RFC 8032) with the key in `slot`; null if it fails. */
    sign?: (slot: string, msg: Uint8Array) => Uint8Array | null;
  };
  gps: {
    /** The most recent fix, or null if the receiver has none. */
    last(): GpsFix | null;
  };
  /** Messages, not sockets: the firmware owns the link, TLS, keep-alive and reconnects. */
  net: {
    /** Queues a message; OK means accepted for sending, not delivered (delivery is the ack's job). */
    publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): Status;
    subscribe(filter: string): Status;
    /** Sets the MQTT Last Will; takes effect on the next connect. */
    will(topic: string, payload: Uint8Array): Status;
    connected(): boolean;
  };
  sys: {
    heapFreeBytes(): number;     // free bytes of the JS heap budget
    batteryPct(): number;        // 0..100, or -1 on mains power
    firmware(): string;          // firmware version string
  };
  /** Optional hardware SHA-512; the agent falls back to pure JS when absent. */
  sha512?: (msg: Uint8Array) => Uint8Array;
  log(level: 0 | 1 | 2 | 3, msg: string): void; // 0 debug, 1 info, 2 warn, 3 error
}

/** What the platform tells the agent, delivered through `agent.onEvent`. */
export type HalEvent =
  | { t: 'net.state'; up: boolean }
  | { t: 'net.msg'; topic: string; payload: Uint8Array }
  | { t: 'tick' };
