// The reason catalog (SPEC §3): every reason a verdict or a result can carry, with its severity,
// a zh-CN and an English message and a remedy for the merchant. Names are append-only: never
// renamed, never reused. Messages take {placeholders} filled with the numbers that decided.

import { localParams } from './localize';
import { fillIn } from './why';

export type Severity = 'deny' | 'review' | 'warn';
export type Lang = 'zh' | 'en';

export interface ReasonDef {
  area: string;
  severity: Severity;
  zh: string; en: string;             // what happened
  remedyZh: string; remedyEn: string; // what to do
}

const r = (area: string, severity: Severity, zh: string, en: string, remedyZh: string, remedyEn: string): ReasonDef =>
  ({ area, severity, zh, en, remedyZh, remedyEn });

export const REASONS = {
  // location (SPEC §5 Location)
  GEO_OUTSIDE: r('location', 'deny',
    '终端距离登记地址 {distanceKm} 公里（允许 {radiusKm} 公里，定位精度 {accuracyM} 米），已离开登记的经营地点。',
    'The terminal is {distanceKm} km from its registered address (allowed {radiusKm} km, fix accuracy {accuracyM} m): it has left its registered place of business.',
    '请把终端带回登记地址后再交易。如果店铺已搬迁，请联系收单机构办理地址变更（同城一般 30 天内），跨城需重新入网。',
    'Take the terminal back to its registered address. If the shop has moved, ask the acquirer to change the registered address (same city: usually within 30 days); another city needs a new onboarding.'),
  GEO_UNCERTAIN: r('location', 'review',
    '无法确定终端是否在登记范围内：距离 {distanceKm} 公里，定位精度 {accuracyM} 米，允许半径 {radiusKm} 公里。',
    'Cannot tell whether the terminal is inside its registered area: {distanceKm} km away with {accuracyM} m accuracy, allowed radius {radiusKm} km.',
    '交易可继续，但会被风控复核。请把终端放在窗边或室外以获得更准确的定位。',
    'The sale may go on but is flagged for review. Move the terminal near a window or outdoors for a better fix.'),
  GEO_NO_FIX: r('location', 'review',
    '终端没有有效定位（{why}）。',
    'The terminal has no usable position fix ({why}).',
    '交易可继续，但会被风控复核。请检查定位天线与信号，重启终端后等待定位成功。',
    'The sale may go on but is flagged for review. Check the antenna and signal; restart the terminal and wait for a fix.'),
  GEO_IMPLAUSIBLE_MOVE: r('location', 'review',
    '两次定位之间终端移动了 {distanceKm} 公里，折合 {speedKmh} 公里/小时，超过允许的 {maxSpeedKmh} 公里/小时。',
    'Between two fixes the terminal moved {distanceKm} km, {speedKmh} km/h, more than the allowed {maxSpeedKmh} km/h.',
    '可能是定位被干扰或伪造。请保持终端在店内，待定位稳定后再交易。',
    'The position may be jammed or spoofed. Keep the terminal in the shop until the fix settles.'),
  // hours
  HOURS_CLOSED: r('hours', 'deny',
    '当前当地时间 {localTime}（{weekday}）不在营业时间内；今天的营业时间：{todayHours}。',
    'Local time {localTime} ({weekday}) is outside business hours; today\'s hours: {todayHours}.',
    '请在营业时间内交易。如需临时延长营业时间，请联系收单机构下发临时延时指令。',
    'Trade within business hours. For a temporary extension, ask the acquirer to send an hours-extension command.'),
  HOURS_NIGHT_RISK: r('hours', 'review',
    '当前当地时间 {localTime} 处于夜间风险时段 {nightRisk}。',
    'Local time {localTime} is inside the night-risk window {nightRisk}.',
    '夜间交易会被风控复核，请保留小票与购物凭证。',
    'Night-time sales are flagged for review; keep receipts and proof of purchase.'),
  // qualification
  QUAL_EXPIRED: r('qualification', 'deny',
    '资质“{kind}”已于 {expires} 过期。',
    'Qualification "{kind}" expired on {expires}.',
    '请尽快办理资质年检或换证，并将新证件提交收单机构更新。',
    'Renew the qualification and send the new document to the acquirer.'),
  QUAL_EXPIRING: r('qualification', 'warn',
    '资质“{kind}”将于 {expires} 到期（还剩 {daysLeft} 天）。',
    'Qualification "{kind}" expires on {expires} ({daysLeft} days left).',
    '请在到期前办理续期，否则到期后将无法交易。',
    'Renew it before it expires, or sales will be refused afterwards.'),
  // limits
  LIMIT_SINGLE: r('limits', 'deny',
    '单笔金额 {amount} 超过{channelZh}单笔限额 {limit}。',
    'Amount {amount} is above the {channel} single-transaction limit {limit}.',
    '请分笔收款，或改用其他支付方式；如需提高限额，请联系收单机构。',
    'Split the payment or use another method; ask the acquirer to raise the limit if needed.'),
  LIMIT_DAILY_AMOUNT: r('limits', 'deny',
    '今日{channelZh}已收 {used}，加上本笔 {amount} 将超过日限额 {limit}。',
    'Today\'s {channel} total {used} plus {amount} would exceed the daily limit {limit}.',
    '今日额度已用完，请明天再收或使用其他支付方式。',
    'Today\'s allowance is used up: take the payment tomorrow or by another method.'),
  LIMIT_DAILY_COUNT: r('limits', 'deny',
    '今日{channelZh}已成功交易 {count} 笔，达到每日 {limit} 笔上限。',
    'Today\'s {channel} approved count {count} has reached the daily limit of {limit}.',
    '今日笔数已用完，请明天再收或使用其他支付方式。',
    'Today\'s count is used up: take the payment tomorrow or by another method.'),
  LIMIT_MONTHLY_AMOUNT: r('limits', 'deny',
    '本月{channelZh}已收 {used}，加上本笔 {amount} 将超过月限额 {limit}。',
    'This month\'s {channel} total {used} plus {amount} would exceed the monthly limit {limit}.',
    '本月额度已用完，请联系收单机构调整额度。',
    'This month\'s allowance is used up; ask the acquirer to adjust it.'),
  LIMIT_VELOCITY: r('limits', 'deny',
    '最近 {windowS} 秒内已成功交易 {count} 笔，达到频率上限 {limit} 笔。',
    '{count} approved sales in the last {windowS} s reached the velocity limit of {limit}.',
    '请稍候再试；频繁交易会触发收单风控。',
    'Wait a moment and try again; rapid sales trip the acquirer\'s risk controls.'),
  // resources
  MEM_LOW: r('resources', 'deny',
    '终端可用内存 {free} 字节，低于要求的 {min} 字节。',
    'Free memory {free} bytes is below the required {min} bytes.',
    '请重启终端；若反复出现，请联系服务商检修。',
    'Restart the terminal; if it keeps happening, call the service provider.'),
  STORAGE_LOW: r('resources', 'deny',
    '终端存储剩余 {free} 字节，低于要求的 {min} 字节（存储满）。',
    'Free storage {free} bytes is below the required {min} bytes (storage full).',
    '请先结算并确保终端联网上传流水，系统会在确认后清理已结算流水。',
    'Settle and keep the terminal online so the journal uploads; settled, acknowledged entries are then cleared.'),
  BATCH_FULL: r('resources', 'deny',
    '本批次流水已满：{count} 笔（上限 {max} 笔）。',
    'The batch journal is full: {count} transactions (limit {max}).',
    '请先结算，结算后即可继续交易。',
    'Settle first; sales resume after settlement.'),
  BATCH_NEAR_FULL: r('resources', 'warn',
    '本批次流水即将满：{count}/{max} 笔。',
    'The batch journal is nearly full: {count}/{max} transactions.',
    '请尽快结算，以免流水满后无法交易。',
    'Settle soon, before the journal fills up and sales stop.'),
  // message rules (ISO 8583 / UnionPay)
  COND_CODE_MISMATCH: r('message', 'deny',
    '{type}交易的服务点条件码（25 域）应为 {expected}，实际为 {got}。',
    'A {type} must carry point-of-service condition code (field 25) {expected}, got {got}.',
    '这是收银软件的报文问题，不是卡的问题：请升级或重装收款应用，或联系服务商。',
    'This is a message fault in the payment app, not the card: update or reinstall the payment app, or call the service provider.'),
  ENTRY_MODE_INVALID: r('message', 'deny',
    '服务点输入方式码（22 域）“{got}”无效：{why}。',
    'Point-of-service entry mode (field 22) "{got}" is invalid: {why}.',
    '请重新刷卡/插卡/挥卡；若持续出现，请联系服务商检查读卡器与应用。',
    'Swipe, insert or tap the card again; if it persists, have the reader and app checked.'),
  ORIGINAL_NOT_FOUND: r('message', 'deny',
    '找不到原交易“{original}”（{why}）。',
    'Original transaction "{original}" not found ({why}).',
    '撤销与预授权完成须在原终端、原批次内办理；结算后请改用退货。',
    'Voids and completions must be done on the original terminal in the same batch; after settlement use a refund.'),
  ORIGINAL_AMOUNT_EXCEEDED: r('message', 'deny',
    '金额 {amount} 与原交易“{original}”的 {originalAmount} 不符（{why}）。',
    'Amount {amount} does not fit original "{original}" of {originalAmount} ({why}).',
    '请核对原交易金额后重新发起。',
    'Check the original amount and try again.'),
  // clock and policy
  CLOCK_ROLLBACK: r('clock', 'deny',
    '终端时钟 {now} 早于流水中已记录的最晚时间 {highWater}（回拨 {backS} 秒）。',
    'The clock {now} is before the latest time already in the journal {highWater} (set back {backS} s).',
    '请让终端联网自动校时；不要手动调整时间。',
    'Let the terminal sync its time online; do not set the clock by hand.'),
  CLOCK_UNTRUSTED: r('clock', 'review',
    '终端时钟不可信：{why}。',
    'The terminal\'s clock is not trusted: {why}.',
    '请让终端联网校时。',
    'Let the terminal sync its time online.'),
  POLICY_MISSING: r('policy', 'deny',
    '终端没有有效的服务点策略。',
    'The terminal holds no valid service-point policy.',
    '请联系收单机构下发策略，或重新灌装终端。',
    'Ask the acquirer to send a policy, or re-provision the terminal.'),
  POLICY_EXPIRED: r('policy', 'deny',
    '服务点策略（版本 {version}）有效期为 {validFrom} 至 {validUntil}，当前不在有效期内。',
    'The service-point policy (version {version}) is valid {validFrom} to {validUntil}; now is outside that.',
    '请让终端联网获取新策略。',
    'Bring the terminal online to fetch a new policy.'),
  POLICY_INVALID: r('policy', 'deny',
    '服务点策略无效：{why}。',
    'The service-point policy is invalid: {why}.',
    '请联系收单机构重新签发策略。',
    'Ask the acquirer to issue a new signed policy.'),
  DEVICE_LOCKED: r('policy', 'deny',
    '终端已被远程锁定（{why}）。',
    'The terminal is locked remotely ({why}).',
    '请联系收单机构或服务商解锁。',
    'Call the acquirer or service provider to unlock it.'),
  STATE_LOST: r('policy', 'deny',
    '终端无法确认其交易流水的状态（{why}），为避免产生第二条流水链，暂停交易。',
    'The terminal cannot tell where its journal stood ({why}); it stops trading rather than start a second journal.',
    '请联系服务商：从备份恢复终端存储，或重新灌装并重新入网；收单平台保留着已确认的流水。',
    'Call the service provider: restore the terminal\'s storage from a backup, or re-provision and enrol it again; the fleet keeps the journal it acknowledged.'),
  // after the acquirer answers
  RESP_ECHO_MISMATCH: r('acquirer', 'deny',
    '收单应答的{field}与请求不符（请求 {expected}，应答 {got}），交易不予确认并已发起冲正。',
    'The acquirer\'s answer does not echo {field} (sent {expected}, got {got}); the sale is not approved and a reversal is queued.',
    '请勿向顾客交付商品；冲正会自动完成。若反复出现，请联系收单机构。',
    'Do not hand over the goods; the reversal runs automatically. If it repeats, call the acquirer.'),
  JUMP_CODE_SUSPECTED: r('acquirer', 'review',
    '疑似跳码：应答商户号中的 MCC 为 {gotMcc}（{gotCategory}），登记为 {mcc}（{category}）。',
    'Suspected jump code (跳码): the answer\'s merchant id carries MCC {gotMcc} ({gotCategory}), registered {mcc} ({category}).',
    '请保留小票并通过云闪付/银行账单核对交易商户与类别（“三单合一”），向收单机构投诉。',
    'Keep the slip and check the merchant and category in the bank statement; complain to the acquirer.'),
  AMOUNT_MISMATCH: r('acquirer', 'deny',
    '收单批准金额 {got} 与请求金额 {expected} 不符，交易不予确认并已发起冲正。',
    'The approved amount {got} differs from the requested {expected}; not approved, a reversal is queued.',
    '请重新发起交易。',
    'Start the sale again.'),
  HOST_DECLINED: r('acquirer', 'deny',
    '收单机构拒绝：应答码 {f39}（{hint}）。',
    'Declined by the acquirer: response code {f39} ({hint}).',
    '{remedy}',
    '{remedy}'),
  HOST_LIMIT: r('acquirer', 'deny',
    '收单机构限额拒绝：应答码 {f39}（{hint}）。',
    'Declined for a limit by the acquirer: response code {f39} ({hint}).',
    '已超出收单机构的限额，请明天再试或联系收单机构。',
    'The acquirer\'s limit is reached: try tomorrow or call the acquirer.'),
  CARD_PROBLEM: r('acquirer', 'deny',
    '卡片问题：应答码 {f39}（{hint}）。',
    'Card problem: response code {f39} ({hint}).',
    '请顾客换卡或联系发卡行。',
    'Ask the customer for another card or to call their bank.'),
  NETWORK_TIMEOUT: r('acquirer', 'deny',
    '收单应答超时，交易结果未知，已排队冲正。',
    'No answer from the acquirer in time; the outcome is unknown and a reversal is queued.',
    '请勿交付商品；检查网络后重新发起交易，冲正会在下一笔之前自动发送。',
    'Do not hand over the goods; check the network and try again. The reversal is sent before the next sale.'),
  SETTLEMENT_UNBALANCED: r('acquirer', 'review',
    '结算对账不平：终端为{local}，收单机构为{host}。',
    'Settlement totals do not balance: terminal {local}, acquirer {host}.',
    '终端已自动上送批量明细；请核对后联系收单机构。',
    'The terminal uploaded the batch details automatically; check them with the acquirer.'),
  // appended beyond SPEC §3's minimum
  TXN_INVALID: r('message', 'deny',
    '交易请求无效：{why}。',
    'The transaction request is invalid: {why}.',
    '请检查收款应用传入的交易数据。',
    'Check the transaction data the payment app sends.'),
  COMMAND_REJECTED: r('policy', 'deny',
    '远程指令被拒绝：{why}。',
    'A remote command was refused: {why}.',
    '请确认指令来自收单机构且未过期。',
    'Check the command comes from the acquirer and has not expired.'),
} satisfies Record<string, ReasonDef>;

export type ReasonName = keyof typeof REASONS;

export interface Reason {
  name: ReasonName;
  severity: Severity;
  params: Record<string, string | number>;
}

export function reason(name: ReasonName, params: Record<string, string | number> = {}): Reason {
  return { name, severity: REASONS[name].severity, params };
}

/** The reason as whole sentences in `lang`, its figures in that language too (localize.ts). */
export function describe(x: Reason, lang: Lang): { message: string; remedy: string } {
  const d: ReasonDef = REASONS[x.name];
  const p = localParams(x, lang);
  return lang === 'zh'
    ? { message: fillIn(d.zh, p), remedy: fillIn(d.remedyZh, p) }
    : { message: fillIn(d.en, p), remedy: fillIn(d.remedyEn, p) };
}

/** SPEC §3: deny if any deny fired, else review if any review fired, else allow. */
export function verdictOf(reasons: Reason[]): 'allow' | 'review' | 'deny' {
  let v: 'allow' | 'review' | 'deny' = 'allow';
  for (const x of reasons) {
    if (x.severity === 'deny') return 'deny';
    if (x.severity === 'review') v = 'review';
  }
  return v;
}
