// Doctor explains the flash (issue 15, SPEC §6 "Damage and lost state"): records lost to bit rot
// are named by seq range with their cause, in plain words in both languages, beside the fact that
// the rest is intact; noise from the network is reported as counted, not as a fault.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { doctor, doctorText } from '../../src/cli/doctor';
import { tmp } from '../helpers/device';
import { card, run } from '../helpers/scenario';

const roomy = (p: any) => { p.limits.velocity = { count: 1000, windowS: 60 }; p.resources.batchMaxTxns = 1000; };

describe('doctor on a damaged flash', () => {
  it('names the lost entries, the file and what to do; counts refused network messages', async () => {
    const dir = tmp('pf-doc-flash-');
    await run(Array.from({ length: 175 }, (_, i) => card(`F${i}`)), { dataDir: dir, edit: roomy });
    const segs = readdirSync(join(dir, 'j')).sort();
    expect(segs.length).toBeGreaterThan(1);
    const old = join(dir, 'j', segs[0]!);
    const b = readFileSync(old); b[5000] ^= 0x04; writeFileSync(old, b);
    // Before the terminal boots again, doctor finds the damage itself.
    const before = doctor(dir, 'en').findings.find((f) => f.title === 'FLASH_DAMAGE');
    expect(before?.message).toMatch(/can no longer be read; cause: flash file j\/\d+ failed its check.*at its next boot/);
    // The next day: the terminal reports the damage at boot, trades, and refuses forged commands.
    await run([card('NEXT'), ...Array.from({ length: 30 }, () => ({ cmd: { kind: 'lock', forge: true } })), { at: '+40m', ...card('LATER') }],
      { keep: true, dataDir: dir, start: '2026-03-03T10:00:00+08:00' });

    const en = doctor(dir, 'en');
    const dmg = en.findings.find((f) => f.title === 'FLASH_DAMAGE');
    expect(dmg, doctorText(en, 'en')).toBeDefined();
    expect(dmg!.message).toMatch(/journal (entry \d+|entries [\d–, ]+ \(\d+ in all\)) can no longer be read; cause: flash file j\/\d+ failed its check/);
    expect(dmg!.at).toMatch(/^2026-03-03T10:00:\d\d\+08:00$/);
    expect(dmg!.remedy).toMatch(/trades on/);
    const noise = en.findings.find((f) => f.title === 'NETWORK_NOISE');
    expect(noise?.count).toBeGreaterThanOrEqual(29);            // the first refusal is journaled in full, the rest counted

    const zh = doctorText(doctor(dir, 'zh'), 'zh');
    expect(zh).toMatch(/存储损坏：第 [\d–、]+ 条流水（共 \d+ 条）已无法读取，原因：存储文件 j\/\d+ 校验失败/);
    expect(zh).toMatch(/拒绝了 \d+ 条未签名/);
    // Whole Chinese sentences: no English words but codes, refs and file names.
    const words = zh.replace(/--[a-z-]+|[A-Z][A-Z0-9_]+|j\/\d+|\b[A-Z]+\d+\b|T-[A-Z0-9]+/g, '').match(/[a-z]{3,}/gi) ?? [];
    expect(words).toEqual([]);
  }, 120_000);

  it('a journal with no readable entry left is flash damage, not a terminal that never booted', async () => {
    const dir = tmp('pf-doc-rot-');
    await run([card('G1'), card('G2')], { dataDir: dir });
    for (const f of readdirSync(join(dir, 'j'))) {
      const p = join(dir, 'j', f); const b = readFileSync(p);
      for (let i = 11; i < b.length; i += 97) b[i] ^= 0x5a;
      writeFileSync(p, b);
    }
    const d = doctor(dir, 'en');
    expect(d.findings[0]).toMatchObject({ title: 'FLASH_DAMAGE', open: true });
    expect(d.findings[0]!.message).toMatch(/the journal can no longer be read .*cause: flash file j\/\d+ failed its check/);
  }, 60_000);
});
