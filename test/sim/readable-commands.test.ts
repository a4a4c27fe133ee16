// Commands in the people's timeline (issue 17): accepted and refused ones said in whole zh sentences,
// the kind in words and the refusal's reason translated (signature, replay, expiry, another device).
import { expect, it } from 'vitest';
import { readableRun } from '../../host-sim/report/timeline';
import { card, run } from '../helpers/scenario';

const plain = (_code: string, s: string) => s;

it('zh timeline: every command line is Chinese but for codes and figures', async () => {
  const r = await run([
    { cmd: { kind: 'lock', why: 'audit' } }, card('L1'), { cmd: { kind: 'unlock' } },
    { cmd: { kind: 'unlock', replay: true } }, { cmd: { kind: 'lock', forge: true } }, { cmd: { kind: 'lock', expired: true } },
    { cmd: { kind: 'rotate-key' } }, card('K1'),
  ]);
  const zh = readableRun(r.lines, plain as never, 'zh').split('\n').filter((l) => /远程指令/.test(l));
  expect(zh.length).toBeGreaterThanOrEqual(6);
  expect(zh.join('\n')).toMatch(/锁机：已接受[\s\S]*解锁：已接受[\s\S]*重放[\s\S]*被拒绝：指令的签名与任何受信任的公钥都不符[\s\S]*过期[\s\S]*更换设备密钥：已接受/);
  for (const l of zh) expect(l.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z|[A-Z][A-Z0-9_]+/g, '').match(/[a-z]{3,}/gi), l).toBeNull();
}, 60_000);
