// The readable side of `preflight sim run`: a timeline as it happens, counts per reason with
// message and remedy, and the journal's state. --json prints the lines untouched instead.

import { describe, REASONS, type Lang, type ReasonName } from '../../src/core/reasons/catalog';
import type { Line } from '../scenario/run';
import type { Paint } from '../../src/node/term';

const firstDetail = (l: Line, lang: Lang) => {
  const d = (l.detail as { name: ReasonName; severity: string; params: Record<string, string | number> }[] | undefined) ?? [];
  return d.map((r) => `${r.name}: ${describe({ name: r.name, severity: REASONS[r.name]?.severity ?? 'deny', params: r.params }, lang).message}`);
};

export function timelineLine(l: Line, c: Paint, lang: Lang): string | null {
  const v = (x: string) => (x === 'allow' || x === 'approved' ? c('32', x) : x === 'review' ? c('33', x) : c('31', x));
  switch (l.event) {
    case 'boot': return l.ok ? c('36', `boot (${l.reason}) at ${l.at}: journal seq ${l.seq}, policy v${l.policyVersion}${l.policyProblem ? ' ' + l.policyProblem : ''}`) : c('31', `boot failed: ${l.error}`);
    case 'decision': {
      const head = `${String(l.at).slice(11, 19)}Z ${String(l.ref).padEnd(6)} ${v(String(l.verdict))}`;
      const ds = firstDetail(l, lang);
      return ds.length ? `${head}\n${ds.map((s) => '         ' + s).join('\n')}` : head;
    }
    case 'result': {
      const ds = firstDetail(l, lang);
      return `                ${String(l.ref).padEnd(6)} -> ${v(String(l.outcome))}${ds.length ? '\n' + ds.map((s) => '         ' + s).join('\n') : ''}`;
    }
    case 'settlement': return l.ok ? c('36', `settlement of batch ${l.batch}: ${l.balanced ? 'balanced' : 'UNBALANCED, batch uploaded'}; next batch ${l.nextBatch}${l.resumed ? ' (resumed after reboot)' : ''}`) : c('31', `settlement not done: ${l.why}`);
    case 'reversal': return `reversal of ${l.ref}: ${l.done ? 'done' : 'still pending'}`;
    case 'power': return c('35', `power ${l.state}${l.during ? ' during ' + l.during : ''}${l.why ? ' (' + l.why + ')' : ''}`);
    case 'crash': return c('31', `terminal crashed (${l.kind}): ${l.message}`);
    case 'network': return c('35', `network ${l.up ? 'up' : 'down'}`);
    case 'link': return c('35', `broker link ${l.up ? 'up' : 'lost'}`);
    case 'clock': return c('35', l.sync ? 'clock synced to trusted time' : `clock jumped ${l.jumpS} s`);
    case 'command': return `command ${l.kind}: ${l.accepted ? 'accepted' : 'refused: ' + l.why}`;
    case 'signer': return c('35', `signer ${l.up ? 'recovered' : 'failed'}`);
    case 'policy': return `policy update: ${l.accepted ? 'installed v' + l.version : 'refused: ' + l.why}`;
    case 'alert': return c('31', `ALERT ${l.kind}${l.ref ? ' on ' + l.ref : ''}`);
    case 'error': return c('31', `error: ${l.error}`);
    default: return null;
  }
}

export function summaryText(s: Line, c: Paint, lang: Lang): string {
  const out: string[] = ['', c('1', `== ${s.scenario}: ${s.dev} ==`)];
  const verdicts = s.verdicts as Record<string, number>;
  out.push(`verdicts: ${Object.entries(verdicts).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  out.push(`acquirer outcomes: ${Object.entries(s.outcomes as Record<string, number>).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  out.push('', c('1', 'reasons, most frequent first:'));
  const rs = Object.entries(s.reasons as Record<string, number>).sort((a, b) => b[1] - a[1]);
  for (const [name, n] of rs) {
    const d = REASONS[name as ReasonName];
    if (!d) continue;
    out.push(`  ${String(n).padStart(3)}  ${name} [${d.severity}]  ${lang === 'zh' ? d.remedyZh.replace('{remedy}', '') : d.remedyEn.replace('{remedy}', '')}`);
  }
  const j = s.journal as Record<string, any> | null;
  if (j) out.push('', `journal: ${j.entries} entries, sealed through ${j.sealedThrough}, acknowledged through ${j.acknowledgedThrough}; batch ${j.batch.no} holds ${j.batch.count}; reversals pending ${j.reversalsPending}`);
  const t = s.telemetry as Record<string, any> | null;
  if (t) out.push(`telemetry: ${t.count} messages, ${t.bytes} bytes (${Object.entries(t.byKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'offline'})`);
  out.push(`QuickJS heap peak: ${Math.round((s.heapPeakBytes as number) / 1024)} KiB`);
  return out.join('\n');
}
