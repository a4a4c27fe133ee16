// The journal's published format (issue 18): docs/journal.cddl is what the code writes, and every
// record a terminal writes (entries of every type, seals, the export header) validates against it.
// The validator below knows RFC 8610, not this project: it parses the CDDL text and checks values
// a standard decoder (cbor2) produced, as an auditor with a generic CBOR library and the CDDL would.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, decodeSequence, Tag } from 'cbor2';
import { journalCddl } from '../../src/node/journal-cddl';
import { exportJournal } from '../../src/core/journal/export';
import { readOnlyFlash } from '../../src/node/flash-folder';
import { card, run } from '../helpers/scenario';

// ---- an RFC 8610 subset: rules, type choices, groups and group choices, maps, arrays, tags,
// ---- occurrence (? * +), group-to-choice &( ), literals, and the .size and .cbor controls.

type Ty =
  | { k: 'name'; n: string } | { k: 'lit'; v: number | string } | { k: 'choice'; of: Ty[] } | { k: 'map'; g: Group }
  | { k: 'array'; g: Group } | { k: 'tag'; tag: number; t: Ty } | { k: 'enum'; g: Group } | { k: 'ctl'; t: Ty; op: string; arg: Ty };
type Entry = { occ: '1' | '?' | '*' | '+'; key?: Ty; bare?: string; t?: Ty; g?: Group };
type Group = Entry[][]; // choices (//) of sequences
type Rules = Map<string, Ty | Group>;

function tokenize(src: string): string[] {
  const s = src.replace(/;[^\n]*/g, ' ');
  const re = /\s*(=>|\/\/|#6\.\d+|\.[a-z]+\b|"(?:[^"\\]|\\.)*"|-?\d+|[A-Za-z@_$][A-Za-z0-9@_$-]*|[=()[\]{},:/?*+&])/y;
  const out: string[] = [];
  let m: RegExpExecArray | null, at = 0;
  while ((m = re.exec(s))) { out.push(m[1]!); at = re.lastIndex; }
  if (s.slice(at).trim()) throw new Error(`cddl: cannot read near "${s.slice(at, at + 20)}"`);
  return out;
}

function parseCddl(src: string): Rules {
  const tk = tokenize(src);
  let i = 0;
  const peek = () => tk[i], next = () => tk[i++]!, eat = (x: string) => { if (tk[i] !== x) throw new Error(`cddl: expected ${x} at ${tk.slice(i, i + 5).join(' ')}`); i++; };
  const rules: Rules = new Map();
  const group = (close: string): Group => {
    const choices: Group = [[]];
    while (peek() !== close) {
      if (peek() === '//') { next(); choices.push([]); continue; }
      if (peek() === ',') { next(); continue; }
      const e: Entry = { occ: '1' };
      if (peek() === '?' || peek() === '*' || peek() === '+') e.occ = next() as Entry['occ'];
      if (peek() === '(') { next(); e.g = group(')'); eat(')'); }
      else {
        const save = i;
        const first = type();
        if (peek() === '=>') { next(); e.key = first; e.t = type(); }
        else if (peek() === ':') { next(); e.key = first.k === 'name' ? { k: 'lit', v: first.n } : first; e.t = type(); }
        else { i = save; const t = type(); if (t.k === 'name') e.bare = t.n; else e.t = t; }
      }
      choices[choices.length - 1]!.push(e);
    }
    return choices;
  };
  const type1 = (): Ty => {
    const t = next();
    let ty: Ty;
    if (t === '{') { ty = { k: 'map', g: group('}') }; eat('}'); }
    else if (t === '[') { ty = { k: 'array', g: group(']') }; eat(']'); }
    else if (t === '&') { eat('('); ty = { k: 'enum', g: group(')') }; eat(')'); }
    else if (t === '(') { ty = type(); eat(')'); }
    else if (t.startsWith('#6.')) { eat('('); ty = { k: 'tag', tag: Number(t.slice(3)), t: type() }; eat(')'); }
    else if (/^-?\d+$/.test(t)) ty = { k: 'lit', v: Number(t) };
    else if (t.startsWith('"')) ty = { k: 'lit', v: JSON.parse(t) };
    else ty = { k: 'name', n: t };
    while (peek()?.startsWith('.') && peek() !== '.') { const op = next(); ty = { k: 'ctl', t: ty, op, arg: type1() }; }
    return ty;
  };
  const type = (): Ty => { const of = [type1()]; while (peek() === '/') { next(); of.push(type1()); } return of.length === 1 ? of[0]! : { k: 'choice', of }; };
  while (i < tk.length) {
    const name = next(); eat('=');
    if (peek() === '(') { // a group rule, unless it is a parenthesised type
      const save = i; next();
      try { const g = group(')'); eat(')'); rules.set(name, g); continue; } catch { i = save; }
    }
    rules.set(name, type());
  }
  return rules;
}

const isGroup = (x: Ty | Group | undefined): x is Group => Array.isArray(x);

function validator(rules: Rules) {
  const ok = (t: Ty, v: unknown): boolean => {
    switch (t.k) {
      case 'lit': return v === t.v;
      case 'choice': return t.of.some((x) => ok(x, v));
      case 'tag': return v instanceof Tag && Number(v.tag) === t.tag && ok(t.t, v.contents);
      case 'enum': return t.g.some((seq) => seq.some((e) => e.t !== undefined && ok(e.t, v)));
      case 'map': return v instanceof Map && mapMatch(t.g, new Map(v));
      case 'array': return Array.isArray(v) && arrMatch(t.g, v);
      case 'ctl': {
        if (!ok(t.t, v)) return false;
        if (t.op === '.size') { const n = (t.arg as { v: number }).v; return v instanceof Uint8Array ? v.length === n : typeof v === 'string' ? Buffer.byteLength(v) === n : false; }
        if (t.op === '.cbor') { try { return v instanceof Uint8Array && ok(t.arg, decode(v, { preferMap: true })); } catch { return false; } }
        throw new Error(`cddl: control ${t.op} not known here`);
      }
      case 'name': {
        switch (t.n) {
          case 'any': return true;
          case 'uint': return (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n);
          case 'int': return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
          case 'tstr': case 'text': return typeof v === 'string';
          case 'bstr': case 'bytes': return v instanceof Uint8Array;
          case 'bool': return typeof v === 'boolean';
          case 'number': return typeof v === 'number' || typeof v === 'bigint';
          case 'nil': case 'null': return v === null;
        }
        const r = rules.get(t.n);
        if (!r) throw new Error(`cddl: no rule ${t.n}`);
        if (isGroup(r)) throw new Error(`cddl: ${t.n} is a group, used as a type`);
        return ok(r, v);
      }
    }
  };
  const groupOf = (e: Entry): Group | null => e.g ?? (e.bare && isGroup(rules.get(e.bare)) ? rules.get(e.bare) as Group : null);
  // Maps: each entry takes the pairs it matches; what is left over fails the map.
  const mapSeq = (seq: Entry[], m: Map<unknown, unknown>): boolean => {
    for (const e of seq) {
      const g = groupOf(e);
      if (g) { if (!mapMatchInto(g, m)) { if (e.occ === '?' || e.occ === '*') continue; return false; } continue; }
      const key = e.key!, val = e.t!;
      if (key.k === 'lit') {
        if (!m.has(key.v)) { if (e.occ === '?' || e.occ === '*') continue; return false; }
        if (!ok(val, m.get(key.v))) return false;
        m.delete(key.v);
      } else {
        let n = 0;
        for (const [k, v] of [...m]) if (ok(key, k) && ok(val, v)) { m.delete(k); n++; }
        if (n === 0 && (e.occ === '1' || e.occ === '+')) return false;
      }
    }
    return true;
  };
  const mapMatchInto = (g: Group, m: Map<unknown, unknown>): boolean => {
    for (const seq of g) { const trial = new Map(m); if (mapSeq(seq, trial)) { for (const k of [...m.keys()]) if (!trial.has(k)) m.delete(k); return true; } }
    return false;
  };
  const mapMatch = (g: Group, m: Map<unknown, unknown>): boolean => g.some((seq) => { const trial = new Map(m); return mapSeq(seq, trial) && trial.size === 0; });
  // Arrays: greedy, in order.
  const arrMatch = (g: Group, a: unknown[]): boolean => g.some((seq) => {
    let i = 0;
    for (const e of seq) {
      const inner = e.g && e.g.length === 1 && e.g[0]!.length === 1 ? e.g[0]![0]! : null; // ( a / b ): a type in parentheses
      const t = e.t ?? (e.bare ? { k: 'name', n: e.bare } as Ty : inner?.t ?? (inner?.bare ? { k: 'name', n: inner.bare } as Ty : null));
      if (!t) return false;
      if (e.occ === '1') { if (i >= a.length || !ok(t, a[i])) return false; i++; }
      else if (e.occ === '?') { if (i < a.length && ok(t, a[i])) i++; }
      else { const from = i; while (i < a.length && ok(t, a[i])) i++; if (e.occ === '+' && i === from) return false; }
    }
    return i === a.length;
  });
  return (rule: string, v: unknown) => ok({ k: 'name', n: rule }, v);
}

// ---- the tests

const CDDL_FILE = join(__dirname, '../../docs/journal.cddl');

describe('docs/journal.cddl', () => {
  it('is the format the code writes (regenerate: npx vitest run test/unit/journal-cddl.test.ts -u)', async () => {
    await expect(journalCddl()).toMatchFileSnapshot(CDDL_FILE);
  });

  it('every record a terminal writes validates against it, read with a generic CBOR decoder', async () => {
    const valid = validator(parseCddl(readFileSync(CDDL_FILE, 'utf8')));
    // A day with every kind of record: sales, a decline, a time-out and its reversal, a jump code,
    // commands accepted and refused, two key rotations, a signer failure, a policy change, settlement.
    const first = await run([
      card('S1'), card('S2', 5000, { host: { f39: '51' } }), card('S3', 3000, { host: { timeout: true } }), card('S4'),
      card('J1', 16800, { host: { f42: '102581080626056' } }),
      { cmd: { kind: 'lock', why: 'audit' } }, card('L1'), { cmd: { kind: 'unlock' } }, { cmd: { kind: 'lock', forge: true } },
      { cmd: { kind: 'rotate-key' } }, card('S5'), { signer: 'fail' }, card('S6'), card('S7'), { signer: 'recover' }, card('S8'),
      { clock: { jumpS: -600 } }, card('C1'), { clock: { sync: true } },
      { cmd: { kind: 'rotate-key' } }, card('S9'), { settle: {} }, card('S10'), { power: 'cut' }, card('S11'),
    ]);
    // Then bit rot in the oldest segment: the next boot journals the damage.
    const seg = readdirSync(join(first.dataDir, 'j')).sort()[0]!;
    const p = join(first.dataDir, 'j', seg); const b = readFileSync(p); b[Math.floor(b.length / 2)] ^= 0x40; writeFileSync(p, b);
    await run([card('A1')], { keep: true, dataDir: first.dataDir });

    const bytes = exportJournal(readOnlyFlash(first.dataDir)).bytes;
    const items = [...decodeSequence(bytes, { preferMap: true })];
    expect(valid('export-header', items[0]), 'the header').toBe(true);
    const types = new Set<unknown>();
    let seals = 0;
    items.slice(1).forEach((x, i) => {
      if (x instanceof Tag) { seals++; expect(valid('seal', x), `record ${i + 1}: seal`).toBe(true); return; }
      types.add((x as Map<number, unknown>).get(5));
      expect(valid('entry', x), `record ${i + 1}: entry of type ${String((x as Map<number, unknown>).get(5))}`).toBe(true);
    });
    expect(seals).toBeGreaterThan(3);
    expect(valid('export', items), 'the export as a whole').toBe(true);
    // boot, decision, result, reversal, settle, policy, clock, signer, key-rotate(d), command, flash-damage
    for (const t of [1, 2, 4, 5, 6, 9, 10, 11, 12, 13, 14]) expect(types.has(t), `type ${t} written`).toBe(true);
  }, 120_000);

  it('refuses what does not follow it', () => {
    const valid = validator(parseCddl(readFileSync(CDDL_FILE, 'utf8')));
    const entry = (body: Map<number, unknown>, type: unknown = 2, seq: unknown = 7) =>
      new Map<number, unknown>([[1, 2], [2, seq], [3, new Uint8Array(32)], [4, 1], [5, type], [6, body]]);
    const decision = new Map<number, unknown>([[2, 0], [3, [[4, new Map([['localTime', '23:30']])]]]]);
    expect(valid('entry', entry(decision))).toBe(true);
    expect(valid('entry', entry(decision, 2, 'seven'))).toBe(false);                     // seq not a uint
    expect(valid('entry', entry(new Map([[2, 9]])))).toBe(false);                         // verdict outside its table
    expect(valid('entry', entry(new Map([[99, 1]])))).toBe(false);                        // a key the body lacks
    const short = entry(decision); short.set(3, new Uint8Array(31));
    expect(valid('entry', short)).toBe(false);                                             // prev not 32 bytes
    const extra = entry(decision); extra.set(7, 'x');
    expect(valid('entry', extra)).toBe(false);                                             // a key the entry lacks
  });
});
