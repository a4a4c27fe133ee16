// The house rules of SPEC §1, checked on every `make test` (`make check`):
//  - the portable core (src/core) reaches the platform only through the HAL: no Node or timer APIs,
//    and no import outside itself but cbor-x and tweetnacl;
//  - imports point one way: src/cli -> host-sim -> (src/fleet, device) -> src/node -> src/core,
//    and src/fleet and device never import each other.
// Usage: node test/check-layers.mjs [ROOT]   (ROOT defaults to the project folder; tests pass a copy)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
// Lower number = lower floor. A file may import its own layer and any lower one, except peers
// marked as such (fleet and device stand side by side and stay apart).
const LAYERS = [
  ['src/core', 0], ['src/node', 1], ['src/fleet', 2], ['device', 2], ['host-sim', 3], ['src/cli', 4],
];
const PEERS_APART = [['src/fleet', 'device']];
const CORE_PACKAGES = new Set(['cbor-x', 'tweetnacl']);
const FORBIDDEN_IN_CORE = [
  [/\bBuffer\b/, 'Buffer'], [/\bprocess\s*\./, 'process'], [/\brequire\s*\(/, 'require'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'timers'], [/\bglobalThis\.(process|Buffer)\b/, 'Node globals'],
];

const layerOf = (rel) => {
  for (const [dir, n] of LAYERS) if (rel === dir || rel.startsWith(dir + '/')) return { dir, n };
  return null;
};
const files = [];
const walk = (d) => {
  if (!existsSync(d)) return;
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(ts|mjs|js)$/.test(n)) files.push(p);
  }
};
for (const [dir] of LAYERS) walk(join(root, dir));

const problems = [];
const IMPORT = /(?:^|[^\w.])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[^\w.])import\s+['"]([^'"]+)['"]/g;
for (const abs of files) {
  const rel = relative(root, abs).split(sep).join('/');
  const me = layerOf(rel);
  const lines = readFileSync(abs, 'utf8').split('\n');
  lines.forEach((line, i) => {
    // Comments are not code: a line comment, or a line inside a block comment.
    const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '').replace(/^\s*\/\*.*$/, '');
    const where = `${rel}:${i + 1}`;
    if (me.dir === 'src/core') for (const [re, what] of FORBIDDEN_IN_CORE) if (re.test(code)) problems.push(`${where}: the core uses ${what}: ${line.trim()}`);
    for (const m of code.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec) continue;
      if (!spec.startsWith('.')) {
        if (me.dir === 'src/core' && !CORE_PACKAGES.has(spec)) problems.push(`${where}: the core imports "${spec}"; only cbor-x and tweetnacl may enter it`);
        continue;
      }
      const target = relative(root, resolve(dirname(abs), spec)).split(sep).join('/');
      const them = layerOf(target);
      if (!them) { problems.push(`${where}: imports ${target}, which is in no layer (tests and bench import the product, never the reverse)`); continue; }
      if (them.n > me.n) problems.push(`${where}: ${me.dir} imports ${them.dir} (${target}): imports point cli -> host-sim -> (fleet, device) -> node -> core`);
      else if (them.dir !== me.dir && PEERS_APART.some(([a, b]) => (a === me.dir && b === them.dir) || (b === me.dir && a === them.dir))) {
        problems.push(`${where}: ${me.dir} imports ${them.dir}: the fleet backend and the device build stay apart`);
      }
    }
  });
}
if (problems.length) {
  console.error(`layers: ${problems.length} import(s) break the house rules (SPEC §1):\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`layers: ${files.length} files; src/core is pure and every import points down (cli -> host-sim -> fleet|device -> node -> core)`);
