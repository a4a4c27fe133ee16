// The journal's stored format, version 2 (SPEC §6 as changed by issue 18; docs/journal.cddl is
// this table in CDDL, RFC 8610): every map has small integer keys from the tables below, names
// with a fixed set of values are small integers, and what follows from other fields is left out.
// Tables are append-only: a key or a code is never renumbered or reused. Readers turn the stored
// form back into the typed records of records.ts; a generic CBOR reader plus this table is all an
// auditor needs.

import { TXN_TYPES } from '../acquirer/types';
import { REASON_NAMES, SEVERITY, type Reason, type ReasonName } from '../reasons/names';
import { RECORD_TYPES } from './records';

export const FORMAT_VERSION = 2;

/** Keys of an entry map. */
export const ENTRY = { v: 1, seq: 2, prev: 3, t: 4, type: 5, body: 6 } as const;
/** Keys of a seal's payload map (COSE_Sign1 payload, SPEC §6). */
export const SEAL = { dev: 1, seq: 2, head: 3, t: 4 } as const;

/** A field table: field i is stored under key i + 1. */
export type Shape = 'any' | { fields: readonly (readonly [string, Shape])[] } | { list: Shape } | { codes: readonly string[] } | 'reason';

const codes = (xs: readonly string[]) => ({ codes: xs });
const fields = (...f: (readonly [string, Shape])[]) => ({ fields: f });
const any = (name: string) => [name, 'any'] as const;

export const REASON_CODES: readonly ReasonName[] = REASON_NAMES;
const REQUEST = fields(any('ref'), ['type', codes(TXN_TYPES)], ['channel', codes(['card', 'qr'])], any('original'), any('mti'), any('f3'), any('f4'),
  any('f11'), any('f22'), any('f25'), any('f41'), any('f42'), any('f49'), any('f60'));
const TXN = fields(any('ref'), ['type', codes(TXN_TYPES)], ['channel', codes(['card', 'qr'])], any('amountMinor'), any('entryMode'), any('conditionCode'), any('original'));
const REASONS_LIST = { list: 'reason' as const };
const VERDICT = codes(['allow', 'review', 'deny']);

/** Body tables per record type, in the order of RECORD_TYPES (whose index + 1 is the stored type code). */
export const BODY: Record<string, Shape> = {
  boot: fields(any('reason'), any('abi'), any('fw'), any('version'), any('pub'),
    ['recovered', fields(any('seq'), any('tornBytes'), any('replayed'), any('fromCheckpoint'), any('note'))],
    any('policyVersion'), any('policyProblem'), any('dev'), any('mid'), any('tid')),
  decision: fields(['txn', TXN], ['verdict', VERDICT], ['reasons', REASONS_LIST],
    ['inputs', fields(any('monoMs'), ['fix', fields(any('lat'), any('lon'), any('accuracyM'), any('monoMs'))],
      ['geo', codes(['unchecked', 'inside', 'uncertain', 'outside', 'nofix'])], any('distanceM'),
      ['used', fields(any('dayAmount'), any('dayCount'), any('monthAmount'), any('velocity'))],
      any('heapFree'), any('storageFree'), any('batchCount'), any('policyVersion'), any('localDate'), any('localMinute'))],
    any('sent')),
  'decision-invalid': fields(['txn', fields(any('ref'), any('invalid'))], ['verdict', VERDICT], ['reasons', REASONS_LIST]),
  result: fields(any('ref'), ['type', codes(TXN_TYPES)], ['channel', codes(['card', 'qr'])], any('amountMinor'), any('original'),
    // monthKey (10): only in entries written before it was cut (it is dateKey's first 7 characters); the key stays reserved.
    ['outcome', codes(['approved', 'declined', 'reversed', 'timeout'])], ['reasons', REASONS_LIST], any('answer'), any('dateKey'), any('monthKey')),
  reversal: fields(['state', codes(['queued', 'done', 'retry'])], ['request', REQUEST], any('ref'), any('f39'), any('timeout')),
  settle: fields(['step', codes(['begun', 'compared', 'uploaded', 'closed'])], any('batch'), any('local'), any('count'), any('host'), any('balanced'),
    ['reasons', REASONS_LIST]),
  policy: fields(any('version'), any('digest'), any('validUntil'), any('mid'), any('tid')),
  'policy-rejected': fields(any('reason'), any('why')),
  clock: fields(['event', codes(['sync'])], any('previousHighWaterMs')),
  signer: fields(['state', codes(['failed', 'recovered'])], any('why'), any('unsealedFrom'), any('sealedThrough')),
  'key-rotate': fields(any('newPub'), any('oldPub')),
  'key-rotated': fields(any('pub')),
  command: fields(any('accepted'), any('n'), ['kind', codes(['policy', 'hours-extend', 'resend', 'lock', 'unlock', 'rotate-key', 'image-update'])],
    any('reason'), any('why'), any('version'), any('untilMs'), any('fromSeq'), any('manifestSha512')),
  'flash-damage': fields(any('lost'), any('cause'), any('unverifiable')),
  noise: fields(any('fromMs'), any('toMs'), any('count'), any('kinds')),
};

/** The stored type code of a record type; unknown types keep their name (a newer firmware's). */
export const typeCode = (t: string): number | string => { const i = (RECORD_TYPES as readonly string[]).indexOf(t); return i < 0 ? t : i + 1; };
export const typeName = (c: unknown): string | null => (typeof c === 'number' ? RECORD_TYPES[c - 1] ?? `type-${c}` : typeof c === 'string' ? c : null);

type J = Record<string, unknown>;
const isObj = (v: unknown): v is J => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map);

/** The stored form of a logical value under a shape. */
export function toStored(s: Shape, v: unknown): unknown {
  if (v === undefined || v === null || s === 'any') return v;
  if (s === 'reason') { const r = v as Reason; const c = REASON_CODES.indexOf(r.name); return Object.keys(r.params).length ? [c < 0 ? r.name : c, r.params] : [c < 0 ? r.name : c]; }
  if ('codes' in s) { const i = s.codes.indexOf(v as string); return i < 0 ? v : i; }
  if ('list' in s) return (v as unknown[]).map((x) => toStored(s.list, x));
  const m = new Map<number, unknown>();
  const o = v as J;
  s.fields.forEach(([name, fs], i) => { if (o[name] !== undefined) m.set(i + 1, toStored(fs, o[name])); });
  return m;
}

/** The logical value of a stored one; null when it does not have the shape (the typed reader then refuses it). */
export function fromStored(s: Shape, v: unknown): unknown {
  if (v === undefined || v === null) return v;
  if (s === 'any') return plain(v);
  if (s === 'reason') {
    if (!Array.isArray(v) || v.length < 1 || v.length > 2) return null;
    const name = typeof v[0] === 'number' ? REASON_CODES[v[0]] : v[0];
    if (typeof name !== 'string') return null;
    const params = v[1] === undefined ? {} : plain(v[1]);
    if (!isObj(params)) return null;
    const sev = (SEVERITY as Record<string, string>)[name];
    return { name, severity: sev ?? 'deny', params };
  }
  if ('codes' in s) return typeof v === 'number' ? s.codes[v] ?? null : v;
  if ('list' in s) return Array.isArray(v) ? v.map((x) => fromStored(s.list, x)) : null;
  if (!(v instanceof Map)) return null;
  const o: J = {};
  s.fields.forEach(([name, fs], i) => { if (v.has(i + 1)) o[name] = fromStored(fs, v.get(i + 1)); });
  return o;
}

/** Free-form values (parameters, totals, answers) come back as plain objects with text keys. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (!(v instanceof Map)) return v;
  const o: J = {};
  for (const [k, x] of v) { if (typeof k !== 'string') return null; o[k] = plain(x); }
  return o;
}
