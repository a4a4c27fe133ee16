// The simulated terminal's network as the scenario driver sees it: a HAL net port per boot, and
// settle() to let messages in flight land (virtual time does not wait for sockets, so the driver
// waits here instead). A peer on the same broker (the embedded fleet consumer) can say when it has
// caught up, so a demo's round trips finish before the next event.

import type { NetPort } from '../hal/node-hal';

export type Inbound = { topic: string; payload: Uint8Array } | { up: boolean };

export interface Port extends NetPort {
  /** Messages for the terminal, and changes of its link (a broker restart), in arrival order. */
  inbox: Inbound[];
  /** Drops the link; `abrupt` is a power cut (the broker then sends the Last Will). */
  end(abrupt: boolean): void;
}

/** Something else on the broker whose work the driver waits for (the embedded fleet). */
export interface Peer {
  /** Messages it has taken from the broker, and acks it has handed back. */
  received(): number;
  acksSent(): number;
  /** True while it holds work it has not finished (acks waiting for their group to flush). */
  busy(): boolean;
  /** False when it is down (a crash test): nothing is waited for then. */
  running(): boolean;
}

export interface WireCount { count: number; bytes: number; byKind: Record<string, number>; connects: number; births: number }

export interface Network {
  url: string;
  protocolVersion: 4 | 5;
  port(device: { id: string; fleet: string }, linkUp: () => boolean): Port;
  /** Lets the terminal's publishes, a peer's work and the acks it sends back land; bounded. */
  settle(): Promise<void>;
  attach(peer: Peer | null): void;
  /** Every message the terminal handed the broker over the whole run (all boots), by kind; connections made and births sent. */
  sent(): WireCount;
  /** Whether the broker was ever reached, and the last connection error before it was. */
  reachability(): { reached: boolean; error: string | null };
  close(): Promise<void>;
}
