// The service-point profile (SPEC §4) as the agent holds it after validation: the operator's JSON
// plus values derived once (epoch ms, minutes, day numbers) so checks never re-parse strings.

import type { Transitions, Weekday } from '../time/local';

export interface ChannelLimits { singleMinor: number; dailyMinor: number; monthlyMinor: number; dailyCount: number }
export type Interval = [number, number]; // minutes after local midnight; end < start runs past midnight

export interface Policy {
  version: number;
  validFrom: string; validUntil: string;
  validFromMs: number; validUntilMs: number;
  merchant: { mid: string; tid: string; name: string; mcc: string;
              qualifications: { kind: string; expires: string; expiresDay: number }[] };
  site: { lat: number; lon: number; radiusM: number; timezone: string; maxFixAgeS: number; maxSpeedKmh: number;
          tz: Transitions };
  hours: { week: Record<Weekday, Interval[]>; exceptions: { day: number; date: string; closed: boolean; intervals: Interval[] }[];
           nightRisk: Interval | null };
  limits: { card: ChannelLimits; qr: ChannelLimits; velocity: { count: number; windowS: number } };
  resources: { minHeapFreeBytes: number; minStorageFreeBytes: number; batchMaxTxns: number; batchWarnRatio: number };
  clock: { maxSkewS: number };
  sealing: { maxUnsealedEntries: number; maxUnsealedS: number };
  telemetry: { heartbeatS: number; uploadBatch: number; uploadEveryS: number }; // uploadBatch: journal messages per pump; uploadEveryS: how long sealed batches wait to travel together
  /** The JSON as authored (with tz transitions), kept for `policy show` and doctor. */
  source: Record<string, unknown>;
}
