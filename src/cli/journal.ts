// `preflight journal export|verify` (SPEC §2, §6): a terminal's journal as a CBOR sequence, read
// without writing to its flash, and an export checked record by record.

import { existsSync, writeFileSync } from 'node:fs';
import { exportJournal } from '../core/journal/export';
import { verifyExport } from '../core/journal/verify-export';
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
  summary: 'Verifies an export: its header, every prev, no seq gap but the ones a sealed flash-damage entry explains, every seal\'s signature and head, following key rotations. Exit 0 valid, 1 invalid (naming the first bad record and why). Without --pub it uses the first key the export names, which you must still check against the registry.',
  options: {
    pub: { type: 'string', arg: 'DEVICE.pub', help: 'the device\'s first public key (the registry\'s REGISTRY/DEV.pub, or DIR/device.pub)' },
    json: JSON_OPT,
    lang: LANG_OPT,
  },
  example: 'preflight journal verify T-0001.cbor --pub registry/T-0001.pub --lang en',
  run({ values, positionals, out }) {
    const L = lang(values.lang), zh = L === 'zh';
    const given = typeof values.pub === 'string' ? readPublicKey(values.pub) : null;
    const r = verifyExport(readBytes(positionals[0]!, 'export'), given);
    if (values.json) { out(JSON.stringify(r)); return r.valid ? 0 : 1; }
    if (r.valid) {
      const sealed = r.sealedThrough ?? (zh ? '无' : 'none');
      const ranges = r.lost.map(([a, b]) => (a === b ? `${a}` : `${a}..${b}`)).join(', ');
      out(zh
        ? `有效：终端 ${r.dev ?? '（未注明）'} 的 ${r.entries} 条流水（第 ${r.firstSeq} 至 ${r.lastSeq} 条），${r.seals} 个封签，封签到第 ${sealed} 条`
          + `${r.unsealed ? `，末尾 ${r.unsealed} 条尚未封签` : ''}`
          + `${r.lost.length ? `；因闪存损坏丢失：第 ${ranges} 条（终端自己的已封签记录说明了这一点）` : ''}`
          + `${r.unverifiable ? `；${r.unverifiable} 条仍在但已无法验证` : ''}。`
        : `valid: ${r.entries} entries of ${r.dev ?? '(device not named)'} (seq ${r.firstSeq}..${r.lastSeq}), ${r.seals} seals, sealed through ${sealed}`
          + `${r.unsealed ? `, ${r.unsealed} unsealed at the end` : ''}`
          + `${r.lost.length ? `; lost to flash damage: ${ranges} (explained by the terminal's own sealed entry)` : ''}`
          + `${r.unverifiable ? `; ${r.unverifiable === 1 ? "1 entry" : `${r.unverifiable} entries`} kept but no longer verifiable` : ''}`);
      if (r.keyFrom === 'header') {
        const k = r.header!.firstKey.slice(0, 16), d = r.header!.dev;
        out(zh ? `注意：首个公钥 ${k}… 取自导出文件本身；请与登记处的副本（REGISTRY/${d}.pub）核对，或用 --pub 指定`
          : `note: the first key ${k}… comes from the export itself; check it against the registry's copy (REGISTRY/${d}.pub) or pass --pub`);
      }
    } else {
      const b = r.firstBad!;
      const why = verifyMessage(b.code, { index: b.index, ...b.detail }, L);
      out(zh ? `无效：第 ${b.index} 项记录：${why}。` : `INVALID at record ${b.index}: ${why}`);
    }
    return r.valid ? 0 : 1;
  },
}];
