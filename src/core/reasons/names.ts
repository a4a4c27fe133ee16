// The reason names and their severities (SPEC §3), the part of the catalog the terminal needs to
// decide: a verdict follows from severities alone. Names are append-only: never renamed, never
// reused, and their order is the journal's reason code table (journal/format.ts REASON_CODES), so a
// new name goes at the end. The words people read (zh/en message and remedy) live in catalog.ts,
// which only the host tools and the image's reasons.cbor carry: the bundle ships no prose.

export type Severity = 'deny' | 'review' | 'warn';
export type Lang = 'zh' | 'en';

export const SEVERITY = {
  // location (SPEC §5 Location)
  GEO_OUTSIDE: 'deny',
  GEO_UNCERTAIN: 'review',
  GEO_NO_FIX: 'review',
  GEO_IMPLAUSIBLE_MOVE: 'review',
  // hours
  HOURS_CLOSED: 'deny',
  HOURS_NIGHT_RISK: 'review',
  // qualification
  QUAL_EXPIRED: 'deny',
  QUAL_EXPIRING: 'warn',
  // limits
  LIMIT_SINGLE: 'deny',
  LIMIT_DAILY_AMOUNT: 'deny',
  LIMIT_DAILY_COUNT: 'deny',
  LIMIT_MONTHLY_AMOUNT: 'deny',
  LIMIT_VELOCITY: 'deny',
  // resources
  MEM_LOW: 'deny',
  STORAGE_LOW: 'deny',
  BATCH_FULL: 'deny',
  BATCH_NEAR_FULL: 'warn',
  // message rules (ISO 8583 / UnionPay)
  COND_CODE_MISMATCH: 'deny',
  ENTRY_MODE_INVALID: 'deny',
  ORIGINAL_NOT_FOUND: 'deny',
  ORIGINAL_AMOUNT_EXCEEDED: 'deny',
  // clock and policy
  CLOCK_ROLLBACK: 'deny',
  CLOCK_UNTRUSTED: 'review',
  POLICY_MISSING: 'deny',
  POLICY_EXPIRED: 'deny',
  POLICY_INVALID: 'deny',
  DEVICE_LOCKED: 'deny',
  STATE_LOST: 'deny',
  // after the acquirer answers
  RESP_ECHO_MISMATCH: 'deny',
  JUMP_CODE_SUSPECTED: 'review',
  AMOUNT_MISMATCH: 'deny',
  HOST_DECLINED: 'deny',
  HOST_LIMIT: 'deny',
  CARD_PROBLEM: 'deny',
  NETWORK_TIMEOUT: 'deny',
  SETTLEMENT_UNBALANCED: 'review',
  // appended beyond SPEC §3's minimum
  TXN_INVALID: 'deny',
  COMMAND_REJECTED: 'deny',
} as const satisfies Record<string, Severity>;

export type ReasonName = keyof typeof SEVERITY;

/** Every reason name in code order (the journal's integer reason codes index this list). */
export const REASON_NAMES = Object.keys(SEVERITY) as ReasonName[];

export interface Reason {
  name: ReasonName;
  severity: Severity;
  params: Record<string, string | number>;
}

export function reason(name: ReasonName, params: Record<string, string | number> = {}): Reason {
  return { name, severity: SEVERITY[name], params };
}

/** SPEC §3: deny if any deny fired, else review if any review fired, else allow. */
export function verdictOf(reasons: Reason[]): 'allow' | 'review' | 'deny' {
  let v: 'allow' | 'review' | 'deny' = 'allow';
  for (const x of reasons) {
    if (x.severity === 'deny') return 'deny';
    if (x.severity === 'review') v = 'review';
  }
  return v;
}
