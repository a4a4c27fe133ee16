// ISO 8583 message shapes as UnionPay POS uses them (../shared/domain/pos-iso8583.md §1.2):
// the transaction-type table that fixes MTI, processing code (F3), condition code (F25) and
// message type (F60.1) per type.

export const TXN_TYPES = ['sale', 'void', 'refund', 'balance', 'preauth', 'preauth-void', 'preauth-complete', 'preauth-complete-void'] as const;
export type TxnType = (typeof TXN_TYPES)[number];
export type Channel = 'card' | 'qr';

export interface TypeRow { mti: string; f3: string; f25: '00' | '06'; f60_1: string; reversible: boolean; needsOriginal: TxnType | null }

/** UnionPay POS field usage (《中国银联POS终端消息域说明》, §1.2 of the domain notes). */
export const TYPE_TABLE: Record<TxnType, TypeRow> = {
  balance:                 { mti: '0200', f3: '310000', f25: '00', f60_1: '01', reversible: false, needsOriginal: null },
  preauth:                 { mti: '0100', f3: '030000', f25: '06', f60_1: '10', reversible: true, needsOriginal: null },
  'preauth-void':          { mti: '0100', f3: '200000', f25: '06', f60_1: '11', reversible: true, needsOriginal: 'preauth' },
  'preauth-complete':      { mti: '0200', f3: '000000', f25: '06', f60_1: '20', reversible: true, needsOriginal: 'preauth' },
  'preauth-complete-void': { mti: '0200', f3: '200000', f25: '06', f60_1: '21', reversible: true, needsOriginal: 'preauth-complete' },
  sale:                    { mti: '0200', f3: '000000', f25: '00', f60_1: '22', reversible: true, needsOriginal: null },
  void:                    { mti: '0200', f3: '200000', f25: '00', f60_1: '23', reversible: true, needsOriginal: 'sale' },
  refund:                  { mti: '0220', f3: '200000', f25: '00', f60_1: '25', reversible: false, needsOriginal: 'sale' },
};

/** A transaction as the payment app asks about it (SPEC §9 `txn`). */
export interface Txn {
  ref: string;
  type: TxnType;
  channel: Channel;
  amountMinor: number;
  entryMode: string;      // field 22
  conditionCode: string;  // field 25 as the app would send it
  original?: string;      // ref of the original, for void / refund / completion
}

/** The request fields the acquirer must echo (SPEC §5 After the acquirer answers). */
export interface Request {
  ref: string; type: TxnType; channel: Channel; original?: string; // what the answer needs, not ISO fields
  mti: string; f3: string; f4: string; f11: string; f22: string; f25: string;
  f41: string; f42: string; f49: string; f60: string;
}

/** The acquirer's answer as the payment app hands it over; absent fields were absent. */
export interface Answer {
  timeout?: boolean;
  mti?: string; f3?: string; f4?: string; f11?: string; f25?: string; f37?: string; f38?: string;
  f39?: string; f41?: string; f42?: string; f49?: string;
}
