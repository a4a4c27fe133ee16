// An independent check of our seals and chain (issue 4): decoded with cbor2 (not our codec), the
// Sig_structure rebuilt by cbor2 (RFC 9052 §4.4), signatures checked by Node's OpenSSL Ed25519,
// hashes by Node's SHA-512. Nothing from src/ is used to verify. Issue 19.4 below goes further: an
// auditor with no library at all (a CBOR reader written in this file, Node's crypto) follows the
// key rotations of an export the CLI made. (The integer keys are src/core/journal/format.ts's
// tables; the docs/journal.cddl the comments name is not in the repository.)
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

// ---- issue 19.4: a verifier with no project code, over an export that spans key rotations ----
// Everything below reads the export with a CBOR reader written here (RFC 8949: definite lengths are
// all the terminal writes) and checks signatures with Node's own Ed25519, from the raw key through
// an SPKI DER prefix. What it knows of the format is what SPEC §6 says and the stored format's
// integer keys: header {0: "preflight-journal", 1: format, 2: dev, 3: first key, 4: [[key-rotate
// entry, old key's seal]...], 5: first seq}; entry {1: v, 2: seq, 3: prev, 4: t, 5: type, 6: body};
// seal payload {1: dev, 2: seq, 3: head, 4: t}; type 11 is key-rotate, its body {1: new key (hex)}.

type Cbor = number | string | boolean | null | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { tag: number; value: Cbor };

/** One item at `p`: its value and where it ends. Throws on anything it does not know. */
function cborItem(b: Uint8Array, p: number): [Cbor, number] {
  if (p >= b.length) throw new Error('truncated');
  const ib = b[p++]!, major = ib >> 5, ai = ib & 31;
  if (major === 7 && ai >= 25 && ai <= 27) {
    const n = 1 << (ai - 24), dv = new DataView(b.buffer, b.byteOffset + p, n);
    if (n === 2) { const h = dv.getUint16(0), e = (h >> 10) & 31, m = h & 1023; return [(h & 0x8000 ? -1 : 1) * (e ? (1 + m / 1024) * 2 ** (e - 15) : m * 2 ** -24), p + 2]; }
    return [n === 4 ? dv.getFloat32(0) : dv.getFloat64(0), p + n];
  }
  let arg = ai;
  if (ai >= 24) {
    if (ai > 27) throw new Error(`additional info ${ai}`);
    arg = 0;
    for (let i = 0; i < 1 << (ai - 24); i++) arg = arg * 256 + b[p++]!;
  }
  switch (major) {
    case 0: return [arg, p];
    case 1: return [-1 - arg, p];
    case 2: if (p + arg > b.length) throw new Error('truncated'); return [b.slice(p, p + arg), p + arg];
    case 3: if (p + arg > b.length) throw new Error('truncated'); return [new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(p, p + arg)), p + arg];
    case 4: { const a: Cbor[] = []; for (let i = 0; i < arg; i++) { const [v, q] = cborItem(b, p); a.push(v); p = q; } return [a, p]; }
    case 5: { const m = new Map<Cbor, Cbor>(); for (let i = 0; i < arg; i++) { const [k, q] = cborItem(b, p); const [v, r] = cborItem(b, q); m.set(k, v); p = r; } return [m, p]; }
    case 6: { const [v, q] = cborItem(b, p); return [{ tag: arg, value: v }, q]; }
    default: if (arg === 20) return [false, p]; if (arg === 21) return [true, p]; if (arg === 22) return [null, p]; throw new Error(`simple ${arg}`);
  }
}

/** A CBOR sequence (RFC 8742): each item with the exact bytes it was stored as. */
function cborSequence(b: Uint8Array): { value: Cbor; raw: Uint8Array }[] {
  const out: { value: Cbor; raw: Uint8Array }[] = [];
  for (let p = 0; p < b.length;) { const [value, q] = cborItem(b, p); out.push({ value, raw: b.subarray(p, q) }); p = q; }
  return out;
}

const bstrHead = (n: number) => n < 24 ? Buffer.from([0x40 + n]) : n < 256 ? Buffer.from([0x58, n]) : Buffer.from([0x59, n >> 8, n & 255]);
const bstr = (x: Uint8Array) => Buffer.concat([bstrHead(x.length), x]);
const asMap = (v: Cbor, what: string) => { if (!(v instanceof Map)) throw new Error(`${what} is not a map`); return v as Map<Cbor, Cbor>; };
const asBytes = (v: Cbor, what: string) => { if (!(v instanceof Uint8Array)) throw new Error(`${what} is not bytes`); return v; };

/** COSE_Sign1 (RFC 9052 §4.4) signed by `pub`: EdDSA, kid = SHA-512(pub)[0..8]; its payload map. */
function openSeal(v: Cbor, pub: Uint8Array, what: string): Map<Cbor, Cbor> {
  const t = v as { tag?: number; value?: Cbor };
  if (t.tag !== 18 || !Array.isArray(t.value) || t.value.length !== 4) throw new Error(`${what}: not a COSE_Sign1`);
  const [prot, , payload, sig] = t.value as [Uint8Array, Cbor, Uint8Array, Uint8Array];
  const ph = asMap(cborItem(asBytes(prot, what), 0)[0], `${what} protected header`);
  if (ph.get(1) !== -8) throw new Error(`${what}: not EdDSA`);
  if (hex(asBytes(ph.get(4)!, `${what} kid`)) !== hex(new Uint8Array(createHash('sha512').update(pub).digest()).subarray(0, 8))) throw new Error(`${what}: kid names another key`);
  // Sig_structure = ["Signature1", protected, external_aad h'', payload]
  const tbs = Buffer.concat([Buffer.from([0x84, 0x6a]), Buffer.from('Signature1'), bstr(prot), bstr(new Uint8Array(0)), bstr(asBytes(payload, what))]);
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]), format: 'der', type: 'spki' });
  if (!verify(null, tbs, key, asBytes(sig, what))) throw new Error(`${what}: signature does not hold`);
  return asMap(cborItem(payload, 0)[0], `${what} payload`);
}

const KEY_ROTATE = 11;
const fromHex = (s: Cbor) => { if (typeof s !== 'string' || !/^[0-9a-f]{64}$/.test(s)) throw new Error('a key must be 64 hex digits'); return new Uint8Array(Buffer.from(s, 'hex')); };

/** Verifies an export from the registry's copy of the first key alone; throws naming what is wrong. */
function audit(bytes: Uint8Array, firstKey: Uint8Array) {
  const items = cborSequence(bytes);
  const h = asMap(items[0]?.value ?? null, 'the header');
  if (h.get(0) !== 'preflight-journal' || h.get(1) !== 2) throw new Error('not a format 2 export');
  if (hex(asBytes(h.get(3)!, 'first key')) !== hex(firstKey)) throw new Error('the header names another first key');
  const dev = h.get(2);
  // The header's proofs: each key-rotate entry sealed by the key before it gives the next key.
  const keys = [firstKey];
  for (const [i, pr] of (h.get(4) as Cbor[]).entries()) {
    const [eb, sb] = pr as [Uint8Array, Uint8Array];
    const e = asMap(cborItem(eb, 0)[0], `rotation ${i} entry`);
    if (e.get(5) !== KEY_ROTATE) throw new Error(`rotation ${i}: not a key-rotate entry`);
    const sp = openSeal(cborItem(sb, 0)[0], keys[keys.length - 1]!, `rotation ${i} seal`);
    if (sp.get(2) !== e.get(2) || hex(asBytes(sp.get(3)!, 'head')) !== hex(sha512_32(eb))) throw new Error(`rotation ${i}: the seal does not cover its entry`);
    keys.push(fromHex(asMap(e.get(6)!, 'key-rotate body').get(1)!));
  }
  // The journal: the chain, and every seal under the key in force, switching once a seal covers a key-rotate.
  let k = 0, seq = 0, prev: Uint8Array | null = null, rotateAt: number | null = null, sealedThrough = 0, entries = 0;
  const heads = new Map<number, string>(), sealsBy = keys.map(() => 0);
  for (const it of items.slice(1)) {
    if ((it.value as { tag?: number }).tag === 18) {
      const p = openSeal(it.value, keys[k]!, `seal after seq ${seq}`);
      const s = p.get(2) as number;
      if (p.get(1) !== dev || heads.get(s) !== hex(asBytes(p.get(3)!, 'head'))) throw new Error(`seal of seq ${s}: head does not match its entry`);
      sealsBy[k]!++; sealedThrough = s;
      if (rotateAt !== null && s >= rotateAt) { k++; rotateAt = null; }
      continue;
    }
    const e = asMap(it.value, 'an entry');
    const s = e.get(2) as number;
    if (prev && (s !== seq + 1 || hex(asBytes(e.get(3)!, 'prev')) !== hex(prev))) throw new Error(`entry ${s}: the chain breaks`);
    if (!prev && s !== h.get(5)) throw new Error(`the first entry is ${s}, the header says ${String(h.get(5))}`);
    seq = s; prev = sha512_32(it.raw); heads.set(s, hex(prev)); entries++;
    if (e.get(5) === KEY_ROTATE) {
      if (hex(fromHex(asMap(e.get(6)!, 'key-rotate body').get(1)!)) !== hex(keys[k + 1] ?? new Uint8Array())) throw new Error(`entry ${s}: a rotation the header does not prove`);
      rotateAt = s;
    }
  }
  return { entries, lastSeq: seq, sealedThrough, rotations: keys.length - 1, sealsBy };
}

describe('issue 19.4: an auditor with no project code verifies an export that spans key rotations', () => {
  it('a scenario that rotates the key twice, through the CLI: header, rotations and seals hold; any altered seal fails', async () => {
    const { execFileSync, spawnSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'pf-rot-'));
    const data = join(dir, 'flash'), out = join(dir, 'export.cbor');
    // Sales, a rotate-key command, sales, another rotation, sales: the shop's policy, inline.
    const sale = (i: number) => ({ at: `+${i * 30}s`, txn: { ref: `K${i}`, type: 'sale', channel: 'card', amountMinor: 1000 + i, entryMode: '051', conditionCode: '00' } });
    const events = [0, 1, 2, 3].map(sale).concat([{ at: '+105s', cmd: { kind: 'rotate-key' } } as never], [4, 5, 6, 7].map(sale),
      [{ at: '+225s', cmd: { kind: 'rotate-key' } } as never], [8, 9, 10].map(sale));
    const scenario = join(dir, 'key-rotation.json');
    writeFileSync(scenario, JSON.stringify({ name: 'a key rotated twice', device: { id: 'T-0108', fleet: 'demo' },
      policy: JSON.parse(readFileSync('host-sim/scenarios/policy-shop.json', 'utf8')),
      start: { time: '2026-03-02T10:00:00+08:00', fix: { lat: 31.2304, lon: 121.4737, accuracyM: 15 } }, events }));
    const run = spawnSync('node', ['bin/preflight.js', 'sim', 'run', scenario, '--data', data, '--json', '--broker', 'none'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    execFileSync('node', ['bin/preflight.js', 'journal', 'export', '--data', data, '--out', out]);
    const pubFile = join(data, 'device.pub');
    const first = new Uint8Array(Buffer.from(readFileSync(pubFile, 'utf8').trim(), 'hex'));
    expect(readFileSync(join(data, 'device.current.pub'), 'utf8').trim()).not.toBe(hex(first));   // it did rotate
    const bytes = new Uint8Array(readFileSync(out));
    const cliVerify = (f: string) => spawnSync('node', ['bin/preflight.js', 'journal', 'verify', f, '--pub', pubFile, '--json'], { encoding: 'utf8' });
    const v = cliVerify(out);
    expect(v.status, v.stdout).toBe(0);
    const a = audit(bytes, first);
    expect(a.rotations).toBe(2);
    expect(a.sealsBy.every((n) => n > 0), JSON.stringify(a.sealsBy)).toBe(true);   // every key sealed something
    expect(a.entries).toBe(JSON.parse(v.stdout).entries);
    expect(a.sealedThrough).toBe(a.lastSeq);
    // Another first key is refused.
    expect(() => audit(bytes, new Uint8Array(32).fill(7))).toThrow(/another first key/);
    // Alter every seal, in the journal and in the header's proofs, at its signature and inside its
    // payload: the auditor refuses each; the CLI refuses the journal ones.
    const seals: { at: number; len: number }[] = [];
    let p = 0;
    for (const it of cborSequence(bytes)) {
      if ((it.value as { tag?: number }).tag === 18) seals.push({ at: p, len: it.raw.length });
      p += it.raw.length;
    }
    expect(seals.length).toBe(JSON.parse(v.stdout).seals);
    const proofs = (asMap(cborSequence(bytes)[0]!.value, 'header').get(4) as Uint8Array[][]).map((x) => x[1]!);
    for (const pr of proofs) {
      const at = Buffer.from(bytes).indexOf(Buffer.from(pr));
      expect(at).toBeGreaterThan(0);
      seals.push({ at, len: pr.length });
    }
    let n = 0;
    for (const s of seals) {
      for (const off of [s.len - 1, s.len - 67]) {              // in the signature (64 bytes, last); the payload's last byte (its t)
        const bad = bytes.slice();
        bad[s.at + off]! ^= 0x01;
        expect(() => audit(bad, first), `seal at ${s.at} +${off}`).toThrow();
        if (n++ % 5 === 0) { writeFileSync(out + '.bad', bad); expect(cliVerify(out + '.bad').status).toBe(1); }
      }
    }
  }, 90_000);
});
