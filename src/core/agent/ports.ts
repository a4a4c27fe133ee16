// What telemetry and commands need from the agent, and nothing more: the agent implements these,
// so the telemetry code depends on an interface, not on the agent that owns it.

import type { Hal } from '../hal/types';
import type { Journal } from '../journal/journal';
import type { Policy } from '../policy/types';
import type { Result } from '../util/result';

export interface AgentCore {
  readonly hal: Hal;
  readonly cfg: { dev: string; fleet: string; version?: string };
  readonly journal: Journal;
  readonly policy: Policy | null;
  now(): number;
  /** Journals an entry; null when storage refused it. */
  record(type: string, body: Record<string, unknown>): number | null;
}

/** The agent as telemetry sees it. */
export interface TelemetryHost extends AgentCore {
  status(): { dev: string; pub: string; abi: number; seq: number; policyVersion: number; batch: { no: number; count: number }; unsealed: number; ackSeq: number };
  /** A signed command arrived on `cmd` (SPEC §6). */
  command(bytes: Uint8Array): { accepted: boolean; why: string };
}

/** The agent as a command sees it. */
export interface CommandHost extends AgentCore {
  installPolicy(bytes: Uint8Array): Result<{ version: number }>;
  rotateKey(): Result<{ newPub: string }>;
  alert(kind: string, detail: Record<string, unknown>): void;
  /** Upload the journal again from `seq` (a resend command). */
  resendFrom(seq: number): void;
}
