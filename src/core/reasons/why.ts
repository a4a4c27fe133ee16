// Why something was refused, as a stable code with its figures (SPEC §3: messages in the language
// asked for). Policy validation (§4), transaction checks (§5) and signed input (§6) answer with
// these; a reason that carries one (`whyCode` among its params) is told in the reader's language
// (why-zh.ts, catalog.describe), never in the language of the code that refused. This file holds
// the English sentence of each code, which the terminal journals as `why` for readers that predate
// the codes; the zh sentences live beside it in why-zh.ts, so the shipped bundle carries only these.

import { fail, type Fail } from '../util/result';

export type Figures = Record<string, string | number>;

export const WHY = {
  // Policy fields (SPEC §4). {path} is the field as written in the JSON, e.g. hours.mon[0][1].
  NOT_OBJECT: '{path}: must be an object',
  NOT_LIST: '{path}: must be a list',
  MISSING: '{path}: is required (missing)',
  UNKNOWN_FIELD_NEAR: '{path}: unknown field "{field}"; did you mean "{near}"?',
  UNKNOWN_FIELD: '{path}: unknown field "{field}" (known fields: {known})',
  UNKNOWN_TOP_FIELD_NEAR: 'unknown field "{field}"; did you mean "{near}"?',
  UNKNOWN_TOP_FIELD: 'unknown field "{field}" (known fields: {known})',
  NOT_INTEGER: '{path}: must be an integer, got {got}',
  NOT_NUMBER: '{path}: must be a number, got {got}',
  NOT_STRING: '{path}: must be a string, got {got}',
  NOT_BOOLEAN: '{path}: must be true or false',
  OUT_OF_RANGE: '{path}: must be between {min} and {max}, got {got}',
  TOO_MANY: '{path}: at most {max} items, got {got}',
  TOO_LONG: '{path}: at most {max} characters, got {got}',
  BAD_TIME: '{path}: must be an RFC 3339 time with offset, e.g. "{example}"',
  BAD_DATE: '{path}: must be a date "YYYY-MM-DD", e.g. "2026-10-01"',
  BAD_HM: '{path}: must be a local time "HH:MM" (00:00 to 24:00)',
  BAD_INTERVAL: '{path}: must be ["HH:MM","HH:MM"] (start, end)',
  EMPTY_INTERVAL: '{path}: start and end are equal, an empty interval (use "00:00","24:00" for all day)',
  EXCEPTION_NEEDS: '{path}: needs "closed": true or its own "intervals"',
  VALID_ORDER: 'validUntil ({validUntil}) must be after validFrom ({validFrom})',
  POLICY_EXPIRED_AT_SIGNING: 'validUntil ({validUntil}) has already passed (now is {now}): terminals refuse an expired policy',
  MID_FORMAT: '{path}: must be 15 digits: acquirer(3) area(4) MCC(4) serial(4)',
  MCC_FORMAT: '{path}: must be a 4-digit MCC',
  MCC_NOT_IN_MID: '{path}: must equal the MCC part of merchant.mid ({midMcc})',
  TID_FORMAT: '{path}: must be 8 letters or digits (field 41)',
  NAME_FORMAT: '{path}: must be 1 to 40 characters (field 43)',
  LIMIT_ORDER: '{path} ({value}) must not exceed {other} ({otherValue})',
  TZ_FORMAT: '{path}: must be an IANA zone name like "Asia/Shanghai"',
  TZ_CASE: '{path}: "{got}" has the wrong case: write "{near}"',
  TZ_ALIAS: '{path}: "{got}" is an alias: write the canonical IANA name "{near}"',
  TZ_ABBREVIATION: '{path}: "{got}" is an abbreviation that names different zones in different countries (CST is both China and US Central): write the IANA zone of the shop\'s city, e.g. "Asia/Shanghai"',
  TZ_UNKNOWN: '{path}: "{got}" is not an IANA zone this machine\'s time-zone data knows (e.g. "Asia/Shanghai", "Asia/Urumqi", "Europe/Vienna")',
  TZ_TABLE: '{path}: must be a sorted list of [fromEpochMs, offsetMinutes] (added by `preflight policy sign`)',
  POLICY_TOO_LARGE: 'the signed policy is {bytes} bytes; a terminal accepts at most {max}',
  POLICY_NOT_JSON_OBJECT: 'a policy must be a JSON object',
  // The policy a terminal holds (SPEC §4).
  NO_TRUST_ANCHOR: 'no operator trust anchor in the image',
  VERSION_ROLLBACK: 'version {version} is lower than the held version {held}',
  // Signed input (SPEC §6).
  NOT_SIGN1: '{what}: not a COSE_Sign1 ({detail})',
  SIG_UNTRUSTED: '{what}: signature does not verify against any trusted key',
  NOT_CBOR_DATA: '{detail}',
  // Transaction requests (SPEC §5): TXN_INVALID.
  TXN_NOT_OBJECT: 'txn must be an object',
  TXN_REF: 'ref must be 1-32 letters, digits or ._:-',
  TXN_REF_USED: 'ref {ref} was already used; every transaction needs a new ref',
  TXN_TYPE: 'type must be one of {types}',
  TXN_CHANNEL: 'channel must be "card" or "qr"',
  TXN_AMOUNT: 'amountMinor must be an integer number of fen from 0 to {max}',
  TXN_AMOUNT_ZERO: 'amountMinor must be above 0',
  TXN_ENTRY_MODE: 'entryMode (field 22) must be a string',
  TXN_COND_CODE: 'conditionCode (field 25) must be a short string',
  TXN_ORIGINAL: 'original must be a ref string',
  // Field 22 (SPEC §5 Message rules): ENTRY_MODE_INVALID.
  EM_DIGITS: 'must be 3 digits',
  EM_PAN: 'PAN mode {pan} unknown',
  EM_PIN: 'PIN digit {pin} unknown',
  // Originals (SPEC §5 Message rules): ORIGINAL_NOT_FOUND and ORIGINAL_AMOUNT_EXCEEDED.
  ORIG_UNNAMED: 'a {txnType} must name its original',
  ORIG_WRONG_TYPE: 'it is a {foundType}, not a {wantedType}',
  ORIG_NOT_IN_JOURNAL: 'not in this terminal\'s journal',
  ORIG_STATUS: 'it was {status}',
  ORIG_VOIDED: 'it was already voided',
  ORIG_EARLIER_BATCH: 'it was settled in an earlier batch; use a refund',
  ORIG_COMPLETED: 'the preauth was already completed',
  RULE_VOID_EQUAL: 'a void must equal its original',
  RULE_COMPLETE_MAX: 'a completion may not exceed its preauth',
  RULE_REFUND_MAX: 'a refund may not exceed what is left of its original ({left})',
  // Position fixes (SPEC §5 Location): GEO_NO_FIX.
  FIX_NONE: 'no fix',
  FIX_STALE: 'last fix {ageS} s old, limit {maxFixAgeS} s',
  // The clock (SPEC §5 Clock): CLOCK_UNTRUSTED.
  CLOCK_DRIFT: 'since the last time sync the wall clock drifted {skewS} s against the monotonic clock (allowed {maxSkewS} s)',
  CLOCK_BEHIND_AT_BOOT: 'the terminal booted with its clock behind the latest time in its journal and has not synced its time since',
} as const;

export type WhyCode = keyof typeof WHY;

export const isWhyCode = (c: unknown): c is WhyCode => typeof c === 'string' && Object.prototype.hasOwnProperty.call(WHY, c);

export function fillIn(t: string, p: Figures): string {
  return t.replace(/\{(\w+)\}/g, (m, k: string) => (k in p ? String(p[k]) : m));
}

/** The English sentence of a code with its figures. */
export const whyEn = (code: WhyCode, figures: Figures): string => fillIn(WHY[code], figures);

/** Reason params for a why: the code and figures, and `why` in English for readers that predate the codes. */
export function whyParams(code: WhyCode, figures: Figures = {}): Figures {
  return { ...figures, whyCode: code, why: whyEn(code, figures) };
}

/** One problem: a code and its figures. */
export interface Problem { code: WhyCode; figures: Figures }

/** A Fail whose error is the English sentence and whose detail carries the code and figures. */
export function failWhy(code: WhyCode, figures: Figures = {}): Fail {
  return fail(whyEn(code, figures), { why: { code, figures } });
}

/** The problem a Fail carries, if it was made by failWhy. */
export function problemOf(f: Fail): Problem | null {
  const w = f.detail?.why as Problem | undefined;
  return w && isWhyCode(w.code) ? w : null;
}
