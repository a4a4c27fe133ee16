// `preflight reasons` (SPEC §3): the reason catalog, in the language asked for.

import { REASONS, type ReasonName } from '../core/reasons/catalog';
import { JSON_OPT, LANG_OPT, lang, type Command } from './command';

export const REASONS_CMD: Command[] = [{
  name: 'reasons',
  summary: 'Prints every reason a verdict or a result can carry, with its severity, what it means and what to do.',
  options: { lang: LANG_OPT, json: JSON_OPT },
  example: 'preflight reasons --lang en',
  run({ values, out }) {
    const L = lang(values.lang);
    const names = Object.keys(REASONS) as ReasonName[];
    if (values.json) { out(JSON.stringify(names.map((n) => ({ name: n, ...REASONS[n] })))); return 0; }
    let area = '';
    for (const n of names) {
      const r = REASONS[n];
      if (r.area !== area) { area = r.area; out(`\n[${area}]`); }
      out(`${n} (${r.severity})\n  ${L === 'zh' ? r.zh : r.en}\n  ${L === 'zh' ? '建议' : 'remedy'}: ${L === 'zh' ? r.remedyZh : r.remedyEn}`);
    }
    return 0;
  },
}];
