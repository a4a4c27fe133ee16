// Message rules (SPEC §5, ISO 8583 / UnionPay): field 25 per transaction type, field 22 format,
// and linkage of voids, refunds and completions to an approved original in the journal.

import { TYPE_TABLE, type Txn } from '../acquirer/types';
import { reason, type Reason } from '../reasons/names';
import type { Ledger, TxnRecord } from '../journal/ledger';
import { yuan } from './format';
import { whyParams } from '../reasons/why';

/** Field 22 PAN entry modes accepted (ISO 8583 DE 22 and UnionPay usage). */
export const PAN_MODES = ['01', '02', '05', '07', '79', '80', '90', '91', '95', '96', '98'];
export const PIN_DIGITS = ['0', '1', '2'];

export function checkMessage(t: Txn, ledger: Ledger): Reason[] {
  const out: Reason[] = [];
  const row = TYPE_TABLE[t.type];
  if (t.conditionCode !== row.f25) {
    out.push(reason('COND_CODE_MISMATCH', { type: t.type, expected: row.f25, got: t.conditionCode }));
  }
  const em = t.entryMode;
  if (t.type !== 'balance' || em !== '') {
    if (!/^\d{3}$/.test(em)) out.push(reason('ENTRY_MODE_INVALID', { got: em, ...whyParams('EM_DIGITS') }));
    else if (PAN_MODES.indexOf(em.slice(0, 2)) < 0) out.push(reason('ENTRY_MODE_INVALID', { got: em, ...whyParams('EM_PAN', { pan: em.slice(0, 2) }) }));
    else if (PIN_DIGITS.indexOf(em[2]!) < 0) out.push(reason('ENTRY_MODE_INVALID', { got: em, ...whyParams('EM_PIN', { pin: em[2]! }) }));
  }
  if (row.needsOriginal) out.push(...checkOriginal(t, row.needsOriginal, ledger));
  return out;
}

function checkOriginal(t: Txn, wanted: string, ledger: Ledger): Reason[] {
  const ref = t.original;
  const notFound = (original: string, w: ReturnType<typeof whyParams>) => [reason('ORIGINAL_NOT_FOUND', { original, ...w })];
  if (!ref) return notFound('-', whyParams('ORIG_UNNAMED', { txnType: t.type }));
  const o: TxnRecord | undefined = ledger.txns.get(ref);
  const refundable = t.type === 'refund' && o && o.type === 'preauth-complete';
  if (!o || (o.type !== wanted && !refundable)) {
    return notFound(ref, o ? whyParams('ORIG_WRONG_TYPE', { foundType: o.type, wantedType: wanted }) : whyParams('ORIG_NOT_IN_JOURNAL'));
  }
  if (o.status !== 'approved') return notFound(ref, whyParams('ORIG_STATUS', { status: o.status }));
  if (o.voided) return notFound(ref, whyParams('ORIG_VOIDED'));
  const p = { amount: yuan(t.amountMinor), original: ref, originalAmount: yuan(o.amountMinor) };
  if (t.type === 'void' || t.type === 'preauth-void' || t.type === 'preauth-complete-void') {
    if (o.batch !== ledger.batch.no && t.type === 'void') return notFound(ref, whyParams('ORIG_EARLIER_BATCH'));
    if (t.amountMinor !== o.amountMinor) return [reason('ORIGINAL_AMOUNT_EXCEEDED', { ...p, ...whyParams('RULE_VOID_EQUAL') })];
  } else if (t.type === 'preauth-complete') {
    if (o.completed) return notFound(ref, whyParams('ORIG_COMPLETED'));
    if (t.amountMinor > o.amountMinor) return [reason('ORIGINAL_AMOUNT_EXCEEDED', { ...p, ...whyParams('RULE_COMPLETE_MAX') })];
  } else if (t.type === 'refund') {
    const left = o.amountMinor - o.refundedMinor;
    if (t.amountMinor > left) return [reason('ORIGINAL_AMOUNT_EXCEEDED', { ...p, ...whyParams('RULE_REFUND_MAX', { left: yuan(left) }) })];
  }
  return [];
}
