// `preflight journal export|verify` (SPEC §2, §6): a terminal's journal as a CBOR sequence, read
// without writing to its flash, and an export checked record by record.

import { existsSync, writeFileSync } from 'node:fs';
import { splitSequence } from '../core/codec/cbor';
import { exportJournal } from '../core/journal/journal';
import { verifyRecords } from '../core/journal/verify';
import { verifyMessage } from '../core/journal/verify-codes';
import { UsageError } from '../node/errors';
import { readOnlyFlash } from '../node/flash-folder';
import { readPublicKey } from '../node/keys';
import { JSON_OPT, LANG_OPT, lang, readBytes, type Command } from './command';

export const JOURNAL: Command[] = [{
  name: 'journal export',
  summary: 'Writes the terminal\'s journal (entries and seals as stored, in journal order) as a CBOR sequence (RFC 8742). The data folder is only read.',
  options: {
    data: { type: 'string', arg: 'DIR', help: 'the terminal\'s data folder (its flash)', required: true },
    out: { type: 'string', arg: 'FILE', help: 'where the export goes', required: true },
  },
  example: 'preflight journal export --data .sim-data/T-0001 --out T-0001.cbor',
  run({ values, out }) {
    const dir = values.data as string;
    if (!existsSync(dir)) throw new UsageError(`--data ${dir}: no such folder`);
    const e = exportJournal(readOnlyFlash(dir));
    writeFileSync(values.out as string, e.bytes);
    out(`exported ${e.records} records (${e.bytes.length} bytes) to ${values.out}`);
    if (e.warning) process.stderr.write(`warning: ${e.warning}\n`);
    return 0;
  },
}, {
  name: 'journal verify', args: 'FILE',
  summary: 'Verifies an export: every prev, no seq gap, every seal\'s signature and head. Exit 0 valid, 1 invalid (naming the first bad record and why).',
  options: {
    pub: { type: 'string', arg: 'DEVICE.pub', help: 'the device\'s first public key (DIR/device.pub, or the registry\'s copy)', required: true },
    json: JSON_OPT,
    lang: LANG_OPT,
  },
  example: 'preflight journal verify T-0001.cbor --pub .sim-data/T-0001/device.pub --lang en',
  run({ values, positionals, out }) {
    const L = lang(values.lang);
    const pub = readPublicKey(values.pub as string);
    const split = splitSequence(readBytes(positionals[0]!, 'export'));
    const r = split.ok ? verifyRecords(split.value, pub) : {
      valid: false, records: 0, entries: 0, seals: 0,
      firstBad: { index: (split.detail?.index as number) ?? 0, code: 'NOT_CBOR' as const, detail: { why: split.error } as Record<string, string | number>, reason: split.error },
    };
    if (values.json) { out(JSON.stringify(r)); return r.valid ? 0 : 1; }
    if (r.valid) {
      const v = r as ReturnType<typeof verifyRecords>;
      const sealed = v.sealedThrough ?? (L === 'zh' ? '无' : 'none');
      out(L === 'zh'
        ? `有效：终端 ${v.dev} 的 ${v.entries} 条流水（第 ${v.firstSeq} 至 ${v.lastSeq} 条），${v.seals} 个封签，封签到第 ${sealed} 条${v.unsealed ? `，末尾 ${v.unsealed} 条尚未封签` : ''}。`
        : `valid: ${v.entries} entries of ${v.dev} (seq ${v.firstSeq}..${v.lastSeq}), ${v.seals} seals, sealed through ${sealed}${v.unsealed ? `, ${v.unsealed} unsealed at the end` : ''}`);
    } else {
      const b = r.firstBad!;
      const why = verifyMessage(b.code, { index: b.index, ...b.detail }, L);
      out(L === 'zh' ? `无效：第 ${b.index} 项记录：${why}。` : `INVALID at record ${b.index}: ${why}`);
    }
    return r.valid ? 0 : 1;
  },
}];
