// Noise from the network (SPEC §6): refused commands and acknowledgements are rate-limited and
// counted, never allowed to fill the flash that trading needs. In each window the first refusal is
// journaled with its reason (and alerted); the rest are counted, and one `noise` entry says how many
// and of which kind when the window is over. Below twice the storage reserve nothing is journaled.

import { rec } from '../journal/records';
import type { Context } from './context';

/** One journal entry and one alert per window at most, however much arrives. */
export const NOISE_WINDOW_MS = 10 * 60_000;

export class Noise {
  private windowStart: number | null = null;
  private windowStartWall = 0;
  private counts: Record<string, number> = {};
  private total = 0;
  /** Refusals counted but never journaled (flash too low to spend on noise). */
  dropped = 0;

  constructor(private ctx: Context, private reserveBytes: () => number) {}

  /**
   * A refusal happened; true when this one should be journaled and alerted in full (the first of
   * its window), false when it is only counted.
   */
  admit(kind: string): boolean {
    const mono = this.ctx.hal.clock.monoMs();
    if (this.windowStart !== null && mono - this.windowStart >= NOISE_WINDOW_MS) this.flush();
    if (this.ctx.hal.storage.freeBytes() < 2 * this.reserveBytes()) { this.dropped++; return false; }
    const first = this.windowStart === null;
    if (first) { this.windowStart = mono; this.windowStartWall = this.ctx.now(); }
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    this.total++;
    return first;
  }

  /** Idle time: a window that is over is summed up in one entry. */
  tick(): void {
    if (this.windowStart !== null && this.ctx.hal.clock.monoMs() - this.windowStart >= NOISE_WINDOW_MS) this.flush();
  }

  /** Ms until the open window is over and `tick` sums it up; Infinity while none is open. */
  dueInMs(): number {
    return this.windowStart === null ? Infinity : Math.max(0, this.windowStart + NOISE_WINDOW_MS - this.ctx.hal.clock.monoMs());
  }

  /** Sums up the window now (at shutdown, so a count is never lost with the power). */
  flush(): void {
    // The first refusal has its own entry; the noise entry counts the whole window (first included).
    if (this.total > 1 && this.ctx.hal.storage.freeBytes() >= 2 * this.reserveBytes()) {
      const seq = this.ctx.record(rec.noise({ fromMs: this.windowStartWall, toMs: this.ctx.now(), count: this.total, kinds: this.counts }));
      this.ctx.alert('COMMAND_REJECTED', { count: this.total, kinds: this.counts }, seq);
    } else this.dropped += this.total;
    this.windowStart = null; this.counts = {}; this.total = 0;
  }
}
