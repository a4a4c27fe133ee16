// An independent check of our seals and chain (issue 4): decoded with cbor2 (not our codec), the
// Sig_structure rebuilt by cbor2 (RFC 9052 §4.4), signatures checked by Node's OpenSSL Ed25519,
// hashes by Node's SHA-512. Nothing from src/ is used to verify.
import { describe, expect, it } from 'vitest';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { decodeSequence, encode, Tag, getEncoded, decode } from 'cbor2';
import { exportJournal } from '../../src/core/journal/export';
import { cleanup, rig, reboot, sell } from '../helpers/device';

const sha512_32 = (b: Uint8Array) => new Uint8Array(createHash('sha512').update(b).digest()).subarray(0, 32);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function independentVerify(bytes: Uint8Array, pub: Uint8Array) {
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]), format: 'der', type: 'spki' });
  const all = [...decodeSequence(bytes, { saveOriginal: true } as never)] as unknown[];
  // docs/journal.cddl export-header: key 0 says what it is, key 3 is the device's first key.
  const header = all[0] instanceof Map && (all[0] as Map<number, unknown>).get(0) === 'preflight-journal' ? all[0] as Map<number, unknown> : null;
  if (header) expect(hex(header.get(3) as Uint8Array)).toBe(hex(pub));
  const items = header ? all.slice(1) : all;
  let prevHash = new Uint8Array(32), seq = 0, seals = 0, entries = 0;
  const heads = new Map<number, string>();
  for (const it of items) {
    if (it instanceof Tag) {
      expect(it.tag).toBe(18);
      const [prot, unprot, payload, sig] = it.contents as [Uint8Array, unknown, Uint8Array, Uint8Array];
      const ph = decode(prot) as Map<number, unknown>;
      expect(ph.get(1)).toBe(-8);                                   // EdDSA
      expect(hex(ph.get(4) as Uint8Array)).toBe(hex(new Uint8Array(createHash('sha512').update(pub).digest()).subarray(0, 8)));
      expect(unprot instanceof Map ? unprot.size : Object.keys(unprot as object).length).toBe(0);
      const tbs = encode(['Signature1', prot, new Uint8Array(0), payload]);
      expect(verify(null, tbs, key, sig)).toBe(true);
      const p = decode(payload) as Map<number, unknown>;               // docs/journal.cddl: seal-payload
      expect(hex(p.get(3) as Uint8Array)).toBe(heads.get(Number(p.get(2))));
      seals++;
      continue;
    }
    const raw = getEncoded(it as object)!;
    const e = it as Map<number, unknown>;                               // docs/journal.cddl: entry
    expect(e.get(1)).toBe(2);
    if (seq) { expect(Number(e.get(2))).toBe(seq + 1); expect(hex(e.get(3) as Uint8Array)).toBe(hex(prevHash)); }
    seq = Number(e.get(2));
    prevHash = sha512_32(raw);
    heads.set(seq, hex(prevHash));
    entries++;
  }
  return { entries, seals, lastSeq: seq };
}

describe('an independent COSE / Ed25519 / CBOR verifier accepts our exports', () => {
  it('the power-cuts scenario on the built bundle: journal export, journal verify and the independent verifier agree', async () => {
    const { execFileSync, spawnSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'pf-cuts-'));
    const data = join(dir, 'flash'), out = join(dir, 'export.cbor');
    const run = spawnSync('node', ['bin/preflight.js', 'sim', 'run', 'host-sim/scenarios/power-cuts.json', '--data', data, '--json'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const lost = run.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.event === 'power' && l.state === 'lost');
    expect(lost.length).toBeGreaterThanOrEqual(3);                       // mid-write cuts among them
    execFileSync('node', ['bin/preflight.js', 'journal', 'export', '--data', data, '--out', out]);
    const v = spawnSync('node', ['bin/preflight.js', 'journal', 'verify', out, '--pub', join(data, 'device.pub'), '--json'], { encoding: 'utf8' });
    expect(v.status, v.stdout).toBe(0);
    const pub = new Uint8Array(Buffer.from(readFileSync(join(data, 'device.pub'), 'utf8').trim(), 'hex'));
    const ind = independentVerify(new Uint8Array(readFileSync(out)), pub);
    expect(ind.entries).toBe(JSON.parse(v.stdout).entries);
  }, 60_000);

  it('after power cuts mid-write, the export verifies independently', () => {
    let r = rig();
    for (let round = 0; round < 3; round++) {
      r.hal.advance(120_000); // keep under the velocity limit (10 a minute)
      for (let i = 0; i < 4; i++) expect(sell(r, `R${round}-${i}`, 100 * (i + 1))).toBe("approved");
      r.agent.sealing.sealNow();
      r.hal.faults.cutAtWrite = 2; r.hal.faults.midWrite = true;
      sell(r, `CUT${round}`, 999);
      expect(r.hal.dead).toBe(true);
      r = reboot(r);
    }
    r.agent.sealing.sealNow();
    const out = independentVerify(exportJournal(r.hal).bytes, r.agent.sealing.key.pub);
    expect(out.entries).toBe(r.agent.journal.seq);
    expect(out.seals).toBeGreaterThanOrEqual(4);
    cleanup(r.dir);
  });
});
