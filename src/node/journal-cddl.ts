// The journal's stored format (SPEC §6, format 2) written out as CDDL (RFC 8610) from the very
// tables the terminal encodes with (src/core/journal/format.ts), so docs/journal.cddl cannot drift
// from the code: test/unit/journal-cddl.test.ts compares the file with this text and validates every
// record of real exports against the file with a reader that knows only RFC 8610.

import { BODY, ENTRY, FORMAT_VERSION, REASON_CODES, SEAL, type Shape } from '../core/journal/format';
import { HEADER, HEADER_MAGIC } from '../core/journal/export';
import { RECORD_TYPES } from '../core/journal/records';

const enumeration = (names: readonly string[], base = 0) => `&(\n${names.map((n, i) => `  ${JSON.stringify(n)}: ${i + base},`).join('\n')}\n)`;

/** The CDDL text of docs/journal.cddl. */
export function journalCddl(): string {
  const rules: string[] = [];
  const named = new Map<Shape, string>();
  const ruleFor = (s: Shape, name: string): string => {
    if (s === 'any') return 'any';
    if (s === 'reason') return 'reason';
    const have = named.get(s);
    if (have) return have;
    named.set(s, name);
    if ('codes' in s) rules.push(`${name} = ${enumeration(s.codes)} / tstr   ; a name this table lacks is stored as text`);
    else if ('list' in s) rules.push(`${name} = [* ${ruleFor(s.list, `${name}-item`)}]`);
    else {
      // A field the terminal left empty is stored as null (nil), whatever its type.
      const lines = s.fields.map(([f, fs], i) => { const r = ruleFor(fs, `${name}-${f}`); return `  ? ${i + 1} => ${r === 'any' ? r : `${r} / nil`},`.padEnd(48) + `; ${f}`; });
      rules.push(`${name} = {\n${lines.join('\n')}\n}`);
    }
    return name;
  };
  const bodies = RECORD_TYPES.map((t, i) => `  ( 5 => ${i + 1}, 6 => ${ruleFor(BODY[t]!, `${t}-body`)} ) //`.padEnd(52) + `; ${t}`);
  return `; Preflight journal, stored format ${FORMAT_VERSION} (SPEC §6): CDDL, RFC 8610.
; Generated from src/core/journal/format.ts by src/node/journal-cddl.ts; do not edit by hand.
; Every record is core deterministic CBOR (RFC 8949 §4.2.1): hash and verify the bytes as stored.
; Keys and codes are append-only: never renumbered, never reused. Fields marked ? may be absent.

; An export (RFC 8742 CBOR sequence) is one export-header, then entries and seals in journal order.
export = [export-header, * (entry / seal)]

export-header = {
  ${HEADER.magic} => "${HEADER_MAGIC}",
  ${HEADER.format} => ${FORMAT_VERSION},                      ; format
  ${HEADER.dev} => tstr,                   ; the device id
  ${HEADER.firstKey} => bstr .size 32,          ; the device's first Ed25519 public key (check it against the registry)
  ${HEADER.rotations} => [* rotation-proof],    ; every key rotation, oldest first
  ${HEADER.firstSeq} => uint,                   ; seq of the first entry in this export
}
; A key-rotate entry and the old key's seal over it, both as stored.
rotation-proof = [entry: bstr .cbor entry, seal: bstr .cbor seal]

entry = {
  ${ENTRY.v} => ${FORMAT_VERSION},                      ; v: stored format
  ${ENTRY.seq} => uint,                   ; seq: 1, 2, 3, ... without gaps
  ${ENTRY.prev} => bstr .size 32,          ; prev: first 32 bytes of SHA-512 of the previous entry's bytes (zeros for seq 1)
  ${ENTRY.t} => uint,                   ; t: the device's wall clock, epoch milliseconds
  body-by-type,
}
; 5 => the record type, 6 => its body. A type this table lacks is stored by name with any body.
body-by-type = (
${bodies.join('\n')}
  ( 5 => tstr, 6 => { * any => any } )
)

; A seal: COSE_Sign1 (RFC 9052 §4.2), Ed25519 by the device key current at that seq.
seal = #6.18([
  protected: bstr .cbor seal-protected,
  unprotected: {},
  payload: bstr .cbor seal-payload,
  signature: bstr .size 64,
])
seal-protected = { 1 => -8, 4 => bstr .size 8 }   ; alg EdDSA; kid: first 8 bytes of SHA-512 of the public key
seal-payload = {
  ${SEAL.dev} => tstr,                   ; dev
  ${SEAL.seq} => uint,                   ; seq of the last entry it covers
  ${SEAL.head} => bstr .size 32,          ; head: first 32 bytes of SHA-512 of that entry's bytes
  ${SEAL.t} => uint,                   ; t: when it was sealed, epoch ms
}

; A reason (SPEC §3): its code, and its figures when it has any.
reason = [reason-code, ? { * tstr => any }]
reason-code = ${enumeration(REASON_CODES)} / tstr

${rules.join('\n\n')}
`;
}
