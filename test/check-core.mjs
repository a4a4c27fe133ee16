// Fails when the portable core (src/, outside the fleet consumer) touches Node or timer APIs:
// everything must go through the HAL (SPEC §1). Comments are ignored.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const FORBIDDEN = [
  [/\bBuffer\b/, 'Buffer'], [/\bprocess\s*\./, 'process'], [/\brequire\s*\(/, 'require'],
  [/from\s+['"]node:/, 'a node: import'], [/from\s+['"](fs|path|os|crypto|net|child_process|events|stream|util)['"]/, 'a Node built-in import'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'timers'], [/\bglobalThis\.(process|Buffer)\b/, 'Node globals'],
];
const root = process.argv[2] ?? 'src';
const bad = [];
const walk = (d) => {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) { if (p !== join(root, 'fleet')) walk(p); continue; }
    if (!p.endsWith('.ts')) continue;
    readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
      for (const [re, what] of FORBIDDEN) if (re.test(code)) bad.push(`${p}:${i + 1}: ${what}: ${line.trim()}`);
    });
  }
};
walk(root);
if (bad.length) {
  console.error(`the portable core must reach the platform only through the HAL; found:\n${bad.join('\n')}`);
  process.exit(1);
}
console.log(`check-core: ${root} is free of Node and timer APIs`);
