// What the tools read from a terminal's flash for people (SPEC §2 doctor, §9 the readable report):
// every intact journal entry as a typed record, and the policy the flash holds with its local-time
// transitions, decoded without judging its signature, only to show times and figures in the
// shop's local time. The terminal's own checks stay in the core (openPolicy, the journal).

import { parseSign1 } from '../core/crypto/cose';
import { decode } from '../core/codec/cbor';
import type { Hal } from '../core/hal/types';
import { parseEntry } from '../core/journal/entry';
import { KIND_ENTRY } from '../core/journal/frame';
import { readRecords } from '../core/journal/export';
import type { JournalRecord } from '../core/journal/records';
import { POLICY_COPY, readPolicyFile } from '../core/policy/store';
import type { Policy } from '../core/policy/types';
import { validatePolicy } from '../core/policy/validate';
import { fmtIso } from '../core/time/iso';
import { offsetAt, type Transitions } from '../core/time/local';

export interface ReadEntry { seq: number; t: number; rec: JournalRecord }

/** Every entry that parses, in journal order (damaged records are skipped, as the journal does). */
export function readEntries(hal: Hal): ReadEntry[] {
  const out: ReadEntry[] = [];
  readRecords(hal, (r) => {
    if (r.kind !== KIND_ENTRY) return;
    const e = parseEntry(r.payload);
    if (e.ok && e.value.rec) out.push({ seq: e.value.seq, t: e.value.t, rec: e.value.rec });
  });
  return out;
}

/** The policy on the flash, shape-checked, its signature not judged; null when there is none. */
export function policyOnFlash(hal: Hal): Policy | null {
  const b = readPolicyFile(hal) ?? readPolicyFile(hal, POLICY_COPY);
  const s = b ? parseSign1(b, 'policy') : null;
  const d = s && s.ok ? decode(s.value.payload, 'policy payload') : null;
  const v = d && d.ok ? validatePolicy(d.value, true) : null;
  return v && v.ok ? v.value : null;
}

/** Epoch ms as the shop's local time with its offset ("2026-03-02T09:00:00+08:00"). */
export const localIso = (tz: Transitions, ms: number): string => fmtIso(ms, offsetAt(tz, ms));
