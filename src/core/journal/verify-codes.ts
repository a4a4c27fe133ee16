// What `journal verify`, the fleet consumer and doctor say when a journal does not verify (SPEC §6):
// a stable code per failure, its figures, and the sentence in zh-CN and English. Readers sort by
// the code, never by the wording.

import type { Lang } from '../reasons/names';

export const VERIFY_CODES = {
  // {why} is the decoder's own detail, in English: the zh sentences say what it means instead.
  MALFORMED_ENTRY: { zh: '不是一条可读的流水记录（格式已损坏）', en: 'not a readable journal entry ({why})' },
  MALFORMED_SEAL: { zh: '不是一个可读的封签（格式已损坏）', en: 'not a readable seal ({why})' },
  WRONG_DEVICE: { zh: '属于终端 {got}，而这份流水属于 {dev}', en: 'belongs to device {got}, the journal is {dev}' },
  BAD_SIGNATURE: { zh: '封签的签名与设备公钥不符', en: 'seal signature does not verify against the device key' },
  SEAL_NOT_ADVANCING: { zh: '第 {seq} 条的封签没有超过上一个封签（第 {sealedThrough} 条）：被重放或顺序被打乱', en: 'seal for seq {seq} does not advance past the previous seal ({sealedThrough}): replayed or reordered' },
  SEAL_OUT_OF_ORDER: { zh: '第 {seq} 条的封签出现在第 {after} 条之后：顺序不对', en: 'seal for seq {seq} stands after seq {after}: out of journal order' },
  SEAL_UNKNOWN_SEQ: { zh: '封签覆盖第 {seq} 条，但它之前没有这一条', en: 'seal covers seq {seq}, which is not among the entries before it' },
  ALTERED: { zh: '第 {seq} 条与其封签签下的内容不符：已被改动', en: 'entry {seq} does not match the head its seal signed: altered' },
  BAD_FIRST_PREV: { zh: '第 1 条的 prev 必须全为零', en: 'seq 1 must have a zero prev' },
  SEQ_GAP: { zh: '第 {seq} 条紧跟在第 {after} 条之后：中间缺了记录', en: 'seq {seq} follows {after}: gap' },
  SEQ_REPEATED: { zh: '第 {seq} 条紧跟在第 {after} 条之后：重复或顺序被打乱', en: 'seq {seq} follows {after}: duplicate or reordered' },
  PREV_MISMATCH: { zh: '第 {seq} 条的 prev 与第 {after} 条的哈希不符', en: 'prev of seq {seq} does not match the hash of seq {after}' },
  BAD_ROTATION: { zh: '第 {seq} 条换钥记录没有 32 字节的新公钥', en: 'key-rotate entry {seq} without a 32-byte newPub' },
  NOT_CBOR: { zh: '第 {index} 项不是完整的 CBOR 数据（被截断或已损坏）', en: 'item {index} is not whole CBOR ({why})' },
  EMPTY: { zh: '导出文件里没有任何流水记录', en: 'the export holds no journal entry' },
  BAD_HEADER: { zh: '导出文件头无效（格式已损坏）', en: 'the export header is not valid ({why})' },
  KEY_MISMATCH: { zh: '给出的公钥与导出文件头记录的首个设备公钥不符', en: 'the given public key is not the first device key the export header names' },
} as const;

export type VerifyCode = keyof typeof VERIFY_CODES;

export function verifyMessage(code: VerifyCode, detail: Record<string, string | number>, lang: Lang): string {
  return VERIFY_CODES[code][lang].replace(/\{(\w+)\}/g, (m, k: string) => (k in detail ? String(detail[k]) : m));
}
