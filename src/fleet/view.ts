// What `preflight fleet consume` shows people: devices, online, last seen, verdict counts by reason
// and open alerts, from the database (so it covers every consumer sharing it). Redrawn at most once
// a second on a terminal; plain throttled lines when stdout is not one; no colour under NO_COLOR.

import { colours } from '../node/term';
import type { Counters, FleetEvent } from './consumer';
import type { FleetStore, Snapshot } from './store';

export type { Snapshot } from './store';

/** What the live view draws, from the store (every consumer sharing it). */
export function snapshot(store: FleetStore, maxRows = 12): Promise<Snapshot> { return store.snapshot(maxRows); }

const ago = (ms: number | null, now: number) => {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};

export function renderSnapshot(s: Snapshot, k: Counters, c: (code: string, s: string) => string, now = Date.now()): string {
  const out: string[] = [];
  out.push(c('1', `preflight fleet: ${s.devices.total} ${s.devices.total === 1 ? 'device' : 'devices'}, ${s.devices.online} online`) +
    `   messages ${k.messages}  stored ${k.stored}  duplicates ${k.duplicates}  rejected ${k.rejected}  acks ${k.acks}`);
  out.push('', c('1', 'DEVICE               ONLINE  LAST SEEN   STORED  ACKED   DUP  REJ'));
  for (const d of s.devices.rows) {
    const on = d.online === 1 ? c('32', 'yes   ') : d.online === 0 ? c('31', 'no    ') : '?     ';
    out.push(`${d.dev.padEnd(20).slice(0, 20)} ${on}  ${ago(d.last_seen, now).padEnd(10)} ${String(d.last_seq).padStart(7)} ${String(d.seq_acked).padStart(6)} ${String(d.duplicates).padStart(5)} ${String(d.rejected).padStart(4)}`);
  }
  if (s.devices.total > s.devices.rows.length) out.push(c('2', `… and ${s.devices.total - s.devices.rows.length} more`));
  out.push('', c('1', 'VERDICTS') + '  ' + (s.verdicts.map((v) => `${v.stage === 'acquirer' ? 'acquirer ' : ''}${v.verdict} ${v.n}`).join('  ') || 'none yet'));
  for (const r of s.reasons) out.push(`  ${c(r.verdict === 'deny' ? '31' : '33', r.verdict.padEnd(6))} ${r.name.padEnd(24)} ${r.n}`);
  out.push('', c('1', `OPEN ALERTS ${s.alerts.open}`));
  for (const a of s.alerts.rows) {
    const sev = a.severity === 'critical' ? c('31', a.severity) : c('33', a.severity);
    out.push(`  ${sev} ${a.kind} ${a.dev ?? ''}${a.count > 1 ? ` ×${a.count}` : ''} ${c('2', ago(a.t, now))}: ${a.why ?? ''}`);
  }
  return out.join('\n');
}

/** The live view: a full redraw on a TTY, else a summary line when something changed and each alert. */
export class LiveView {
  private dirty = true;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly tty: boolean;
  private readonly c: (code: string, s: string) => string;

  private drawing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private out: NodeJS.WriteStream, private store: FleetStore, private counters: () => Counters, intervalMs = 1_000) {
    this.tty = out.isTTY === true && process.env.TERM !== 'dumb';
    this.c = colours(out);
    this.timer = setInterval(() => { void this.draw(); }, this.tty ? intervalMs : Math.max(intervalMs, 5_000));
    this.timer.unref?.();
  }

  onEvent(e: FleetEvent): void {
    this.dirty = true;
    if (!this.tty && e.event === 'alert' && !e.repeated && e.severity !== 'info') {
      this.out.write(`alert ${e.severity} ${e.kind} ${e.dev ?? ''}: ${e.why}\n`);
    }
  }

  /** One redraw at a time; a store that fails to answer (being closed) skips the frame. */
  draw(force = false): Promise<void> {
    if ((!this.dirty && !force) || this.closed) return this.drawing;
    this.dirty = false;
    if (this.tty) {
      this.drawing = this.drawing.then(async () => {
        const s = await snapshot(this.store);
        if (!this.closed) this.out.write('\x1b[H\x1b[2J' + renderSnapshot(s, this.counters(), this.c) + '\n');
      }).catch(() => {});
    } else {
      const k = this.counters();
      this.out.write(`messages ${k.messages} stored ${k.stored} duplicates ${k.duplicates} replays ${k.replays} parked ${k.parked} rejected ${k.rejected} alerts ${k.alerts} acks ${k.acks}\n`);
    }
    return this.drawing;
  }

  /** The last frame, drawn before the store closes. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.drawing;
    this.closed = true;
    const s = await snapshot(this.store).catch(() => null);
    if (s) this.out.write((this.tty ? '' : '\n') + renderSnapshot(s, this.counters(), this.c) + '\n');
  }
}
