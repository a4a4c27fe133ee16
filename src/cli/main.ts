// The `preflight` command (SPEC §2). Exit codes: 0 success, 1 a check or verification failed,
// 2 bad usage or bad input (one line on stderr, never a stack trace).

import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { REASONS, type Lang, type ReasonName } from '../core/reasons/catalog';
import { splitSequence } from '../core/codec/cbor';
import { verifyRecords } from '../core/journal/verify';
import { exportJournal } from '../core/journal/journal';
import { readPublicKey, readSecretKey, writeKeyPair } from '../node/keys';
import { describePolicy, openPolicyFile, readJsonFile, signPolicy } from '../../device/provision/policy';
import { CheckFailed, UsageError } from '../node/errors';
import { parseScenario } from '../../host-sim/scenario/parse';
import { runScenario } from '../../host-sim/scenario/run';
import { summaryText, timelineLine } from '../../host-sim/report/timeline';
import { colours, progressBar } from '../node/term';
import { doctor } from './doctor';
import { readOnlyFlash } from '../node/flash-folder';
import { imageCommand, IMAGE_HELP } from './image';
import { enrolCommand, ENROL_HELP } from '../../device/provision/enrol';
import { installImage } from '../../host-sim/loader';
import { htmlReport } from '../../host-sim/report/html';
import { validatePolicy } from '../core/policy/validate';
import { preparePolicy } from '../../device/provision/policy';

const HELP = `preflight: service-point preflight for payment terminals

usage:
  preflight keys new --out DIR --name NAME
  preflight policy sign POLICY.json --key K.key --out P.cose
  preflight policy show P.cose [--pub K.pub] [--json]
  preflight sim run SCENARIO.json [--image DIR] [--data DIR] [--broker embedded|none|mqtt://HOST:PORT] [--json] [--lang zh|en]
  preflight journal export --data DIR --out FILE
  preflight journal verify FILE --pub DEVICE.pub [--json]
  preflight doctor --data DIR [--lang zh|en] [--json]
  preflight reasons [--lang zh|en] [--json]
  preflight fleet consume --broker URL --registry DIR [--db FILE] [--backend-key K.key] [--share GROUP] [--json]
  preflight fleet report --db FILE --dev DEV [--date YYYY-MM-DD] [--lang zh|en] [--json]
${IMAGE_HELP.trimEnd()}
${ENROL_HELP.trimEnd()}

exit codes: 0 success, 1 a check or verification failed, 2 bad usage or bad input
`;

const here = dirname(fileURLToPath(import.meta.url));
export function bundlePath(): string {
  for (const p of [join(here, '../device/agent.js'), join(here, '../dist/device/agent.js'), resolve('dist/device/agent.js')]) if (existsSync(p)) return p;
  throw new UsageError('dist/device/agent.js is missing: run `make device` first');
}

function args(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) { throw new UsageError((e as Error).message); }
}
const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

const need = (v: string | boolean | undefined, flag: string): string => {
  if (typeof v !== 'string' || !v) throw new UsageError(`${flag} is required`);
  return v;
};
const lang = (v: unknown): Lang => {
  if (v === undefined) return 'zh';
  if (v !== 'zh' && v !== 'en') throw new UsageError('--lang must be zh or en');
  return v;
};
const readBytes = (p: string, what: string): Uint8Array => {
  try { return new Uint8Array(readFileSync(p)); } catch { throw new UsageError(`${what} ${p}: cannot be read`); }
};

async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { process.stdout.write(HELP); return cmd ? 0 : 2; }
  const out = (s: string) => process.stdout.write(s + '\n');
  if (cmd === 'fleet') return (await import('./fleet')).fleetCommand(argv.slice(1));
  if (cmd === 'image') return imageCommand([sub, ...rest].filter((x) => x !== undefined) as string[], out);
  if (cmd === 'enrol') return enrolCommand([sub, ...rest].filter((x) => x !== undefined) as string[], out);
  switch (`${cmd} ${cmd === 'reasons' || cmd === 'doctor' ? '' : sub ?? ''}`.trim()) {
    case 'keys new': {
      const a = args(rest, { out: { type: 'string' }, name: { type: 'string' } });
      const r = writeKeyPair(need(a.values.out, '--out'), need(a.values.name, '--name'));
      out(`${r.key}\n${r.pub}`);
      return 0;
    }
    case 'policy sign': {
      const a = args(rest, { key: { type: 'string' }, out: { type: 'string' } });
      const file = a.positionals[0];
      if (!file) throw new UsageError('policy sign needs a POLICY.json');
      const cose = signPolicy(readJsonFile(file, 'policy'), readSecretKey(need(a.values.key, '--key')));
      writeFileSync(need(a.values.out, '--out'), cose);
      out(`signed ${file} -> ${a.values.out} (${cose.length} bytes)`);
      return 0;
    }
    case 'policy show': {
      const a = args(rest, { pub: { type: 'string' }, json: { type: 'boolean' } });
      const file = a.positionals[0];
      if (!file) throw new UsageError('policy show needs a P.cose');
      const s = openPolicyFile(readBytes(file, 'policy'), a.values.pub ? readPublicKey(str(a.values.pub)!) : null);
      if (a.values.json) out(JSON.stringify(s));
      else out(`signature: ${s.signature}${s.errors ? `\nINVALID: ${s.errors}` : ''}\n${describePolicy(s.policy!)}`);
      return s.signature === 'invalid' || s.errors ? 1 : 0;
    }
    case 'sim run': {
      const a = args(rest, { data: { type: 'string' }, broker: { type: 'string' }, json: { type: 'boolean' }, image: { type: 'string' }, lang: { type: 'string' } });
      const file = a.positionals[0];
      if (!file) throw new UsageError('sim run needs a SCENARIO.json');
      const sc = parseScenario(readJsonFile(file, 'scenario'));
      // A policy may also be named as a .json file beside the scenario: inline, signed for the run.
      if (typeof sc.policy === 'string' && sc.policy.endsWith('.json')) sc.policy = readJsonFile(resolve(dirname(file), sc.policy), 'scenario policy') as Record<string, unknown>;
      const dataDir = str(a.values.data) ?? mkdtempSync(join(tmpdir(), `preflight-${sc.device.id}-`));
      mkdirSync(dataDir, { recursive: true });
      let policyBytes: Uint8Array | undefined;
      if (typeof sc.policy === 'string') policyBytes = readBytes(resolve(dirname(file), sc.policy), 'scenario policy');
      const broker = str(a.values.broker) ?? 'none';
      const network = broker === 'none' ? null : await (await import('../../host-sim/net/mqtt')).connectNetwork(broker, dataDir);
      const L = lang(a.values.lang);
      const c = colours(process.stdout);
      const json = a.values.json === true;
      const bar = progressBar(process.stderr);
      // With --image the terminal boots what the loader verified and installed (issue 8), not a loose file.
      let bundle = '';
      if (a.values.image) {
        const inst = installImage(dataDir, str(a.values.image)!);
        if (!inst.ok) { await network?.close(); throw new CheckFailed(`image refused: ${inst.reason}`); }
        bundle = inst.loaded.bundle;
      } else bundle = readFileSync(bundlePath(), 'utf8');
      try {
        const r = await runScenario(sc, {
          dataDir, bundle, network, policyBytes,
          onLine: (l) => { if (json) out(JSON.stringify(l)); else if (l.event !== 'summary') { const t = timelineLine(l, c, L); if (t) { bar.clear(); out(t); } } },
          onProgress: json ? undefined : (d, n) => bar.update(d, n),
        });
        bar.clear();
        if (!json) {
          out(summaryText(r.summary, c, L));
          out(`\ndata folder: ${dataDir}`);
          const pol = typeof sc.policy === 'object' && sc.policy ? validatePolicy(preparePolicy(sc.policy), true) : null;
          if (pol && pol.ok) {
            const html = `${dataDir.replace(/\/+$/, '')}-report.html`;
            writeFileSync(html, htmlReport(pol.value, r.lines, r.summary));
            out(`report: ${html}`);
          }
        }
      } finally { await network?.close(); }
      return 0;
    }
    case 'journal export': {
      const a = args(rest, { data: { type: 'string' }, out: { type: 'string' } });
      const dir = need(a.values.data, '--data');
      if (!existsSync(dir)) throw new UsageError(`--data ${dir}: no such folder`);
      const e = exportJournal(readOnlyFlash(dir));
      writeFileSync(need(a.values.out, '--out'), e.bytes);
      out(`exported ${e.records} records (${e.bytes.length} bytes) to ${a.values.out}`);
      if (e.warning) process.stderr.write(`warning: ${e.warning}\n`);
      return 0;
    }
    case 'journal verify': {
      const a = args(rest, { pub: { type: 'string' }, json: { type: 'boolean' } });
      const file = a.positionals[0];
      if (!file) throw new UsageError('journal verify needs an export FILE');
      const pub = readPublicKey(need(a.values.pub, '--pub'));
      const bytes = readBytes(file, 'export');
      const split = splitSequence(bytes);
      const r = split.ok ? verifyRecords(split.value, pub)
        : { valid: false, firstBad: { index: (split.detail?.index as number) ?? 0, reason: split.error }, records: 0, entries: 0, seals: 0 };
      if (a.values.json) out(JSON.stringify(r));
      else if (r.valid) {
        const v = r as ReturnType<typeof verifyRecords>;
        out(`valid: ${v.entries} entries of ${v.dev} (seq ${v.firstSeq}..${v.lastSeq}), ${v.seals} seals, sealed through ${v.sealedThrough ?? 'none'}${v.unsealed ? `, ${v.unsealed} unsealed at the end` : ''}`);
      } else out(`INVALID at record ${r.firstBad!.index}: ${r.firstBad!.reason}`);
      return r.valid ? 0 : 1;
    }
    case 'doctor': {
      const a = args([sub, ...rest].filter((x) => x !== undefined) as string[], { data: { type: 'string' }, lang: { type: 'string' }, json: { type: 'boolean' } });
      const L = lang(a.values.lang);
      const d = doctor(need(a.values.data, '--data'), L);
      const failing = d.findings.some((f) => f.open && f.urgency <= 2);
      if (a.values.json) { out(JSON.stringify(d)); return failing ? 1 : 0; }
      out(L === 'zh' ? `终端 ${d.device} 体检结果：` : `Terminal ${d.device}:`);
      const show = (title: string, fs: typeof d.findings, from: number) => {
        if (!fs.length) return;
        out(title);
        fs.forEach((f, i) => out(`${from + i}. [${f.title}${f.count && f.count > 1 ? ` ×${f.count}` : ''}] ${f.message}\n   ${L === 'zh' ? '建议' : 'what to do'}: ${f.remedy}`));
      };
      const open = d.findings.filter((f) => f.open), past = d.findings.filter((f) => !f.open);
      if (!open.length) out(L === 'zh' ? '现在没有待处理的问题。' : 'Nothing is wrong right now.');
      show(L === 'zh' ? '现在的问题（最紧急的在前）：' : 'Open now, most urgent first:', open, 1);
      show(L === 'zh' ? '近期出现过（已不再影响交易）：' : 'Seen recently (no longer in the way):', past, open.length + 1);
      return failing ? 1 : 0;
    }
    case 'reasons': {
      const a = args([sub, ...rest].filter((x) => x !== undefined) as string[], { lang: { type: 'string' }, json: { type: 'boolean' } });
      const L = lang(a.values.lang);
      const names = Object.keys(REASONS) as ReasonName[];
      if (a.values.json) { out(JSON.stringify(names.map((n) => ({ name: n, ...REASONS[n] })))); return 0; }
      let area = '';
      for (const n of names) {
        const r = REASONS[n];
        if (r.area !== area) { area = r.area; out(`\n[${area}]`); }
        out(`${n} (${r.severity})\n  ${L === 'zh' ? r.zh : r.en}\n  ${L === 'zh' ? '建议' : 'remedy'}: ${L === 'zh' ? r.remedyZh : r.remedyEn}`);
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"; see preflight --help`);
  }
}

// `preflight ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  if (e instanceof UsageError) { process.stderr.write(`preflight: ${e.message}\n`); process.exitCode = 2; return; }
  if (e instanceof CheckFailed) { process.stderr.write(`preflight: ${e.message}\n`); process.exitCode = 1; return; }
  process.stderr.write(`preflight: internal error (a bug, please report): ${(e as Error)?.stack ?? e}\n`);
  process.exitCode = 3;
});
