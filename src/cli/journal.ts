// `preflight journal export|verify` (SPEC §2, §6): a terminal's journal as a CBOR sequence, read
// without writing to its flash, and an export checked record by record.

import { existsSync, writeFileSync } from 'node:fs';
import { splitSequence } from '../core/codec/cbor';
import { exportJournal } from '../core/journal/journal';
import { verifyRecords } from '../core/journal/verify';
import { UsageError } from '../node/errors';
import { readOnlyFlash } from '../node/flash-folder';
import { readPublicKey } from '../node/keys';
import { JSON_OPT, readBytes, type Command } from './command';

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
  },
  example: 'preflight journal verify T-0001.cbor --pub .sim-data/T-0001/device.pub',
  run({ values, positionals, out }) {
    const pub = readPublicKey(values.pub as string);
    const split = splitSequence(readBytes(positionals[0]!, 'export'));
    const r = split.ok ? verifyRecords(split.value, pub)
      : { valid: false, firstBad: { index: (split.detail?.index as number) ?? 0, code: 'NOT_CBOR', reason: split.error }, records: 0, entries: 0, seals: 0 };
    if (values.json) out(JSON.stringify(r));
    else if (r.valid) {
      const v = r as ReturnType<typeof verifyRecords>;
      out(`valid: ${v.entries} entries of ${v.dev} (seq ${v.firstSeq}..${v.lastSeq}), ${v.seals} seals, sealed through ${v.sealedThrough ?? 'none'}${v.unsealed ? `, ${v.unsealed} unsealed at the end` : ''}`);
    } else out(`INVALID at record ${r.firstBad!.index}: ${r.firstBad!.reason}`);
    return r.valid ? 0 : 1;
  },
}];
