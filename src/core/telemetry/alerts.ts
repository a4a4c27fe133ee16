// The alert kinds a terminal raises on its `alert` topic (SPEC §7), defined once: the agent raises
// only these, and the fleet consumer reads their severity from here rather than keeping a list of
// its own. An alert is a preview; the journal entry it names (`seq`) holds the evidence.

export type AlertSeverity = 'critical' | 'warn' | 'info';

export const ALERT_KINDS = {
  JUMP_CODE_SUSPECTED: { severity: 'critical', what: 'the acquirer answered under another merchant\'s MCC (跳码)' },
  RESP_ECHO_MISMATCH: { severity: 'critical', what: 'the acquirer\'s answer does not echo the request' },
  AMOUNT_MISMATCH: { severity: 'critical', what: 'the approved amount differs from the requested one' },
  SETTLEMENT_UNBALANCED: { severity: 'critical', what: 'the acquirer\'s batch totals differ from the terminal\'s' },
  SIGNER_FAILED: { severity: 'critical', what: 'the signer failed; entries go on unsealed' },
  KEY_ROTATED: { severity: 'info', what: 'the device key was rotated' },
  COMMAND_REJECTED: { severity: 'warn', what: 'commands were refused' },
  FLASH_DAMAGE: { severity: 'critical', what: 'records were lost to flash damage; the flash-damage entry names them' },
  STATE_LOST: { severity: 'critical', what: 'the terminal cannot tell where its journal stood and stopped trading' },
} as const satisfies Record<string, { severity: AlertSeverity; what: string }>;

export type AlertKind = keyof typeof ALERT_KINDS;

export const isAlertKind = (k: string): k is AlertKind => Object.prototype.hasOwnProperty.call(ALERT_KINDS, k);
