// What every concern of the agent shares (transactions, reversals, settlement, sealing, policy,
// commands): the HAL, the device's identity, the journal, the clock, and two ways out: a journal
// record, and an alert preview. Each concern takes this and nothing of the others it does not need.

import type { Hal } from '../hal/types';
import type { Journal } from '../journal/journal';
import type { JournalRecord } from '../journal/records';
import type { AlertKind } from '../telemetry/alerts';

export interface AgentConfig { dev: string; fleet: string; version?: string }

export interface Context {
  readonly hal: Hal;
  readonly cfg: AgentConfig;
  readonly journal: Journal;
  now(): number;
  /** Journals a record; its seq, or null when storage refused it (logged). */
  record(r: JournalRecord): number | null;
  /** An alert preview on the `alert` topic, naming the journal entry that holds the evidence. */
  alert(kind: AlertKind, detail: Record<string, unknown>, seq?: number | null): void;
}

/** The context over one HAL and journal; `alert` is wired to telemetry by the agent. */
export function makeContext(hal: Hal, cfg: AgentConfig, journal: Journal, alert: Context['alert']): Context {
  const now = () => hal.clock.wallMs();
  return {
    hal, cfg, journal, now, alert,
    record(r) {
      const a = journal.append(r, now());
      if (!a.ok) { hal.log(3, a.error); return null; }
      return a.value.seq;
    },
  };
}
