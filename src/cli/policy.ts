// `preflight policy sign|show` (SPEC §2, §4): an operator's policy JSON validated and signed as a
// COSE_Sign1, and a signed policy shown in words with its signature status.

import { writeFileSync } from 'node:fs';
import { describePolicy, openPolicyFile, readJsonFile, signPolicy } from '../../device/provision/policy';
import { readPublicKey, readSecretKey } from '../node/keys';
import { JSON_OPT, LANG_OPT, lang, readBytes, str, type Command } from './command';

export const POLICY: Command[] = [{
  name: 'policy sign', args: 'POLICY.json',
  summary: 'Validates a policy (SPEC §4: every field named with the rule it breaks), adds the site\'s UTC offset transitions, and signs it with the operator key.',
  options: {
    key: { type: 'string', arg: 'K.key', help: 'the operator\'s secret key (preflight keys new)', required: true },
    out: { type: 'string', arg: 'P.cose', help: 'where the signed policy goes', required: true },
    lang: LANG_OPT,
  },
  example: 'preflight policy sign shop.json --key keys/operator.key --out shop.cose --lang en',
  run({ values, positionals, out }) {
    const file = positionals[0]!;
    // SPEC §4: validUntil is judged by the signer's clock.
    const cose = signPolicy(readJsonFile(file, 'policy'), readSecretKey(values.key as string), Date.now(), lang(values.lang));
    writeFileSync(values.out as string, cose);
    out(`signed ${file} -> ${values.out} (${cose.length} bytes)`);
    return 0;
  },
}, {
  name: 'policy show', args: 'P.cose',
  summary: 'Shows a signed policy for people (hours in local time, the geofence, limits in yuan) and whether its signature verifies. Exit 1 when it does not, or when the policy is invalid.',
  options: {
    pub: { type: 'string', arg: 'K.pub', help: 'the operator\'s public key to check the signature against' },
    lang: LANG_OPT, json: JSON_OPT,
  },
  example: 'preflight policy show shop.cose --pub keys/operator.pub --lang en',
  run({ values, positionals, out }) {
    const s = openPolicyFile(readBytes(positionals[0]!, 'policy'), str(values.pub) ? readPublicKey(str(values.pub)!) : null, positionals[0]!);
    if (values.json) out(JSON.stringify(s));
    else {
      const L = lang(values.lang), zh = L === 'zh';
      const sig = zh ? ({ valid: '有效', invalid: '无效', unchecked: '未检查（未给出 --pub）' } as Record<string, string>)[s.signature] : s.signature;
      out(`${zh ? '签名：' : 'signature: '}${sig}${s.errors ? (zh ? `\n策略无效：${s.errors}` : `\nINVALID: ${s.errors}`) : ''}\n${describePolicy(s.policy!, L)}`);
    }
    return s.signature === 'invalid' || s.errors ? 1 : 0;
  },
}];
