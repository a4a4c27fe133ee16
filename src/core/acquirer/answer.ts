// Checks the acquirer's answer against the request (SPEC §5 After the acquirer answers): the echo
// of MTI (+10) and fields 3, 4, 11, 25, 41, 42, 49; the MCC inside field 42 (跳码); the approved
// amount; field 39; and a missing answer. Builds requests from the transaction-type table.

import { reason, type Reason } from '../reasons/names';
import { yuan } from '../checks/format';
import { CARD_PROBLEM_CODES, HOST_LIMIT_CODES } from './codes';
import { TYPE_TABLE, type Answer, type Request, type Txn } from './types';

export const CNY = '156'; // ISO 4217 numeric, field 49

export function buildRequest(t: Txn, mid: string, tid: string, stan: number, batchNo: number): Request {
  const row = TYPE_TABLE[t.type];
  return {
    ref: t.ref, type: t.type, channel: t.channel, original: t.original, mti: row.mti, f3: row.f3, f4: String(t.amountMinor).padStart(12, '0'),
    f11: String(stan % 1000000).padStart(6, '0'), f22: t.entryMode, f25: row.f25, f41: tid, f42: mid, f49: CNY,
    f60: row.f60_1 + String(batchNo).padStart(6, '0'),
  };
}

/** ISO 8583: the response MTI is the request's with the function digit + 1 (0200 -> 0210). */
export function responseMti(mti: string): string {
  return mti.slice(0, 2) + String(+mti[2]! + 1) + mti[3];
}

export type Outcome = 'approved' | 'declined' | 'reversed' | 'timeout';

export interface Checked { outcome: Outcome; reasons: Reason[]; reverse: boolean; approvedMinor: number | null }

const ECHO: (keyof Request & keyof Answer)[] = ['f3', 'f11', 'f25', 'f41', 'f42', 'f49'];

/** Field 42 = acquirer(3) area(4) MCC(4) serial(4) (domain notes §2.1). */
export function parseMid(mid: string): { acquirer: string; area: string; mcc: string; serial: string } | null {
  return /^\d{15}$/.test(mid) ? { acquirer: mid.slice(0, 3), area: mid.slice(3, 7), mcc: mid.slice(7, 11), serial: mid.slice(11) } : null;
}

export function checkAnswer(req: Request, a: Answer, merchantMcc: string, reversible: boolean): Checked {
  if (a.timeout) return { outcome: 'timeout', reasons: [reason('NETWORK_TIMEOUT')], reverse: reversible, approvedMinor: null };
  const reasons: Reason[] = [];
  let mismatch = false;
  const echo = (field: string, expected: string, got: string | undefined) => {
    if (got !== expected) {
      mismatch = true;
      reasons.push(reason('RESP_ECHO_MISMATCH', { field, expected, got: got === undefined ? '(absent)' : got }));
    }
  };
  echo('mti', responseMti(req.mti), a.mti);
  for (const f of ECHO) echo(f, req[f], a[f]);
  if (a.f4 !== req.f4) {
    mismatch = true;
    const got = a.f4 !== undefined && /^\d{1,12}$/.test(a.f4) ? yuan(+a.f4) : String(a.f4 ?? '(absent)');
    reasons.push(reason('AMOUNT_MISMATCH', { expected: yuan(+req.f4), got }));
  }
  if (a.f42 !== undefined && a.f42 !== req.f42) {
    const got = parseMid(a.f42);
    if (got && got.mcc !== merchantMcc) {
      // The MCC categories and the f39 hints are words: the reader adds them (reasons/localize.ts).
      reasons.push(reason('JUMP_CODE_SUSPECTED', { gotMcc: got.mcc, mcc: merchantMcc, gotMid: a.f42, mid: req.f42 }));
    }
  }
  const f39 = a.f39;
  let approved = false;
  if (f39 === undefined) { mismatch = true; reasons.push(reason('RESP_ECHO_MISMATCH', { field: 'f39', expected: 'a response code', got: '(absent)' })); }
  else if (f39 === '00') approved = true;
  else if (HOST_LIMIT_CODES.indexOf(f39) >= 0) reasons.push(reason('HOST_LIMIT', { f39 }));
  else if (CARD_PROBLEM_CODES.indexOf(f39) >= 0) reasons.push(reason('CARD_PROBLEM', { f39 }));
  else reasons.push(reason('HOST_DECLINED', { f39 }));
  // A mismatched answer is never shown as approved: reverse whatever the host may have done.
  // SPEC §5: an answer that does not echo the request is no approval and queues a reversal,
  // whatever its field 39 says (a garbled decline may hide an approval).
  if (mismatch) return { outcome: reversible ? 'reversed' : 'declined', reasons, reverse: reversible, approvedMinor: null };
  return { outcome: approved ? 'approved' : 'declined', reasons, reverse: false, approvedMinor: approved ? +req.f4 : null };
}
