// The alert kinds a terminal raises on its `alert` topic (SPEC §7), defined once: the agent raises
// only these, and the fleet consumer reads their severity from here rather than keeping a list of
// its own. An alert is a preview; the journal entry it names (`seq`) holds the evidence. Each is
// raised once per occurrence: a condition that persists (outside the geofence, a clock set back, a
// position that jumps) is one occurrence until a decision finds it gone.
// SPEC §7's list, by kind: jump code JUMP_CODE_SUSPECTED; geofence breach GEO_OUTSIDE; clock rollback
// CLOCK_ROLLBACK; tamper: the acquirer's answer altered on the way (RESP_ECHO_MISMATCH,
// AMOUNT_MISMATCH) or the position jammed or spoofed (GEO_IMPLAUSIBLE_MOVE); signer failure
// SIGNER_FAILED; settlement imbalance SETTLEMENT_UNBALANCED. SPEC §6 adds FLASH_DAMAGE and STATE_LOST.

export type AlertSeverity = 'critical' | 'warn' | 'info';

export const ALERT_KINDS = {
  GEO_OUTSIDE: { severity: 'critical' }, // the terminal has left its registered place of business
  CLOCK_ROLLBACK: { severity: 'critical' }, // the clock was set back behind the journal
  GEO_IMPLAUSIBLE_MOVE: { severity: 'critical' }, // the position moved faster than a terminal can: jammed or spoofed (tamper)
  JUMP_CODE_SUSPECTED: { severity: 'critical' }, // the acquirer answered under another merchant's MCC (跳码)
  RESP_ECHO_MISMATCH: { severity: 'critical' }, // the acquirer's answer does not echo the request
  AMOUNT_MISMATCH: { severity: 'critical' }, // the approved amount differs from the requested one
  SETTLEMENT_UNBALANCED: { severity: 'critical' }, // the acquirer's batch totals differ from the terminal's
  SIGNER_FAILED: { severity: 'critical' }, // the signer failed; entries go on unsealed
  KEY_ROTATED: { severity: 'info' }, // the device key was rotated
  COMMAND_REJECTED: { severity: 'warn' }, // commands were refused
  FLASH_DAMAGE: { severity: 'critical' }, // records were lost to flash damage; the flash-damage entry names them
  STATE_LOST: { severity: 'critical' }, // the terminal cannot tell where its journal stood and stopped trading
} as const satisfies Record<string, { severity: AlertSeverity }>;

export type AlertKind = keyof typeof ALERT_KINDS;

export const isAlertKind = (k: string): k is AlertKind => Object.prototype.hasOwnProperty.call(ALERT_KINDS, k);
