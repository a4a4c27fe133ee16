// Validates a transaction request from the payment app before any rule looks at it: a malformed
// request is denied with TXN_INVALID naming the field, never half-checked.

import { TXN_TYPES, type Txn } from '../acquirer/types';
import { ok, type Result } from '../util/result';
import { failWhy } from '../reasons/why';

export const MAX_AMOUNT_MINOR = 1e12; // ¥10 billion: beyond any single card or QR payment

export function parseTxn(x: unknown): Result<Txn> {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return failWhy('TXN_NOT_OBJECT');
  const t = x as Record<string, unknown>;
  if (typeof t.ref !== 'string' || !/^[\w.:-]{1,32}$/.test(t.ref)) return failWhy('TXN_REF');
  if (typeof t.type !== 'string' || (TXN_TYPES as readonly string[]).indexOf(t.type) < 0) return failWhy('TXN_TYPE', { types: TXN_TYPES.join(', ') });
  const channel = t.channel ?? 'card';
  if (channel !== 'card' && channel !== 'qr') return failWhy('TXN_CHANNEL');
  const amount = t.amountMinor ?? (t.type === 'balance' ? 0 : undefined);
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0 || amount > MAX_AMOUNT_MINOR) {
    return failWhy('TXN_AMOUNT', { max: MAX_AMOUNT_MINOR });
  }
  if (amount === 0 && t.type !== 'balance') return failWhy('TXN_AMOUNT_ZERO');
  if (typeof t.entryMode !== 'string' && !(t.type === 'balance' && t.entryMode === undefined)) return failWhy('TXN_ENTRY_MODE');
  if (typeof t.conditionCode !== 'string' || t.conditionCode.length > 4) return failWhy('TXN_COND_CODE');
  if (t.original !== undefined && (typeof t.original !== 'string' || t.original.length > 32)) return failWhy('TXN_ORIGINAL');
  return ok({ ref: t.ref, type: t.type as Txn['type'], channel, amountMinor: amount, entryMode: (t.entryMode as string | undefined) ?? '',
              conditionCode: t.conditionCode, original: t.original as string | undefined });
}
