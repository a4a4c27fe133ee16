// Every MQTT topic the agent uses (SPEC §7): preflight/v1/{fleet}/{dev}/{kind}.

export const KINDS = ['status', 'health', 'decision', 'alert', 'journal', 'cmd', 'ack'] as const;
export type Kind = (typeof KINDS)[number];

export const topic = (fleet: string, dev: string, kind: Kind): string => `preflight/v1/${fleet}/${dev}/${kind}`;

/** Splits a topic into fleet, dev and kind; null when it is not one of ours. */
export function parseTopic(t: string): { fleet: string; dev: string; kind: Kind } | null {
  const p = t.split('/');
  if (p.length !== 5 || p[0] !== 'preflight' || p[1] !== 'v1') return null;
  if ((KINDS as readonly string[]).indexOf(p[4]!) < 0) return null;
  return { fleet: p[2]!, dev: p[3]!, kind: p[4] as Kind };
}
