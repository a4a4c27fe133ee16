// Limits per channel (SPEC §5 Limits), from the ledger's used totals of today and this month
// (local calendar), checked on sale and preauth-complete only; velocity across channels.

import type { Txn } from '../acquirer/types';
import { COUNTED, type Ledger } from '../journal/ledger';
import type { Policy } from '../policy/types';
import { reason, type Reason } from '../reasons/names';
import type { LocalTime } from '../time/local';
import { yuan } from './format';

export type { Used } from '../journal/records';
import type { Used } from '../journal/records';

export function usedFor(l: Ledger, t: Txn, lt: LocalTime, nowMs: number, windowS: number): Used {
  const ch = t.channel;
  const today = l.day.key === lt.dateKey, month = l.month.key === lt.monthKey;
  let velocity = 0;
  const from = nowMs - windowS * 1000;
  for (let i = l.recent.length - 1; i >= 0 && l.recent[i]! > from; i--) if (l.recent[i]! <= nowMs) velocity++;
  return {
    dayAmount: today ? l.day[ch].amount : 0, dayCount: today ? l.day[ch].count : 0,
    monthAmount: month ? l.month[ch] : 0, velocity,
  };
}

export function checkLimits(p: Policy, t: Txn, u: Used): Reason[] {
  if (COUNTED.indexOf(t.type) < 0) return [];
  const lim = p.limits[t.channel];
  const channel = t.channel === 'card' ? 'card' : 'QR', channelZh = t.channel === 'card' ? '银行卡' : '扫码';
  const a = t.amountMinor;
  const out: Reason[] = [];
  if (a > lim.singleMinor) out.push(reason('LIMIT_SINGLE', { channel, channelZh, amount: yuan(a), limit: yuan(lim.singleMinor) }));
  if (u.dayAmount + a > lim.dailyMinor) out.push(reason('LIMIT_DAILY_AMOUNT', { channel, channelZh, amount: yuan(a), used: yuan(u.dayAmount), limit: yuan(lim.dailyMinor) }));
  if (u.dayCount >= lim.dailyCount) out.push(reason('LIMIT_DAILY_COUNT', { channel, channelZh, count: u.dayCount, limit: lim.dailyCount }));
  if (u.monthAmount + a > lim.monthlyMinor) out.push(reason('LIMIT_MONTHLY_AMOUNT', { channel, channelZh, amount: yuan(a), used: yuan(u.monthAmount), limit: yuan(lim.monthlyMinor) }));
  const v = p.limits.velocity;
  if (u.velocity >= v.count) out.push(reason('LIMIT_VELOCITY', { count: u.velocity, windowS: v.windowS, limit: v.count }));
  return out;
}
