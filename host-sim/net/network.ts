// The simulator's link to a broker: a HAL net port per terminal boot, and settle() to let messages
// in flight land (virtual time does not wait for sockets, so the driver waits here instead).

import type { NetPort } from '../hal/node-hal';

export type Inbound = { topic: string; payload: Uint8Array } | { up: boolean };

export interface Port extends NetPort {
  /** Messages for the terminal, and changes of its link (a broker restart), in arrival order. */
  inbox: Inbound[];
  /** Drops the link; `abrupt` is a power cut (the broker then sends the Last Will). */
  end(abrupt: boolean): void;
}

export interface Network {
  port(device: { id: string; fleet: string }, linkUp: () => boolean): Port;
  settle(): Promise<void>;
  close(): Promise<void>;
}
