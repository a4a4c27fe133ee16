// Validates a transaction request from the payment app before any rule looks at it: a malformed
// request is denied with TXN_INVALID naming the field, never half-checked.

import { TXN_TYPES, type Txn } from '../acquirer/types';
import { fail, ok, type Result } from '../util/result';

export const MAX_AMOUNT_MINOR = 1e12; // ¥10 billion: beyond any single card or QR payment

export function parseTxn(x: unknown): Result<Txn> {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return fail('txn must be an object');
  const t = x as Record<string, unknown>;
  if (typeof t.ref !== 'string' || !/^[\w.:-]{1,32}$/.test(t.ref)) return fail('ref must be 1-32 letters, digits or ._:-');
  if (typeof t.type !== 'string' || (TXN_TYPES as readonly string[]).indexOf(t.type) < 0) return fail(`type must be one of ${TXN_TYPES.join(', ')}`);
  const channel = t.channel ?? 'card';
  if (channel !== 'card' && channel !== 'qr') return fail('channel must be "card" or "qr"');
  const amount = t.amountMinor ?? (t.type === 'balance' ? 0 : undefined);
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0 || amount > MAX_AMOUNT_MINOR) {
    return fail(`amountMinor must be an integer number of fen from 0 to ${MAX_AMOUNT_MINOR}`);
  }
  if (amount === 0 && t.type !== 'balance') return fail('amountMinor must be above 0');
  if (typeof t.entryMode !== 'string' && !(t.type === 'balance' && t.entryMode === undefined)) return fail('entryMode (field 22) must be a string');
  if (typeof t.conditionCode !== 'string' || t.conditionCode.length > 4) return fail('conditionCode (field 25) must be a short string');
  if (t.original !== undefined && (typeof t.original !== 'string' || t.original.length > 32)) return fail('original must be a ref string');
  return ok({ ref: t.ref, type: t.type as Txn['type'], channel, amountMinor: amount, entryMode: (t.entryMode as string | undefined) ?? '',
              conditionCode: t.conditionCode, original: t.original as string | undefined });
}
