// Help everywhere and a clean terminal (issue 17, SPEC §2): every command and command group answers
// --help with its usage, options and an example and exits 0; on a real terminal (a pty) the
// progress bar redraws on its own line and never shares one with the timeline.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { COMMANDS, dispatch } from '../../src/cli/dispatch';

beforeAll(() => {
  if (!existsSync('dist/host/preflight.mjs') || !existsSync('dist/device/agent.js')) execFileSync('make', ['-o', 'node_modules/.package-lock.json', 'build'], { stdio: 'inherit' });
});

const help = async (argv: string[]) => {
  const out: string[] = [];
  const code = await dispatch(argv, (s) => out.push(s));
  return { code, text: out.join('\n') };
};

describe('--help', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('preflight %s --help: usage, options, an example, exit 0', async (name, c) => {
    const h = await help([...name.split(' '), '--help']);
    expect(h.code).toBe(0);
    expect(h.text).toMatch(new RegExp(`^usage: preflight ${name}( |$)`));
    for (const opt of Object.keys(c.options)) expect(h.text, opt).toMatch(new RegExp(`\\n  --${opt}\\b.*\\S`));
    expect(h.text).toMatch(new RegExp(`\\nexample:\\n  preflight ${name} `));
    // -h too, and --help wins over anything missing or wrong around it.
    expect((await help([...name.split(' '), '--bogus', '-h'])).code).toBe(0);
  });

  it('every command group and the whole command answer --help with exit 0', async () => {
    for (const g of [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]!))]) {
      const h = await help([g, '--help']);
      expect(h.code, g).toBe(0);
      expect(h.text, g).toMatch(new RegExp(`preflight ${g}\\b`));
    }
    const all = await help(['--help']);
    expect(all.code).toBe(0);
    for (const c of COMMANDS) expect(all.text).toContain(`preflight ${c.name}`);
  });

  it('as users ran it: image build, keys new and reasons print help, not an error or the catalog', () => {
    for (const argv of [['image', 'build', '--help'], ['keys', 'new', '--help'], ['reasons', '--help']]) {
      const r = spawnSync('node', ['bin/preflight.js', ...argv], { encoding: 'utf8' });
      expect(r.status, argv.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^usage: preflight /);
      expect(r.stdout).not.toMatch(/GEO_OUTSIDE/);
      expect(r.stderr).toBe('');
    }
  });
});

/** What a terminal shows: \r returns to column 0, ESC[2K clears the line, text overwrites. */
function screenLines(raw: string): string[] {
  const out: string[] = [];
  let line: string[] = [], col = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\x1b') {
      const m = /^\x1b\[(\d*)([A-Za-z])/.exec(raw.slice(i));
      if (m) { if (m[2] === 'K' && m[1] === '2') line = []; i += m[0].length - 1; continue; }
    }
    if (ch === '\r') { col = 0; continue; }
    if (ch === '\n') { out.push(line.join('').trimEnd()); line = []; col = 0; continue; }
    line[col++] = ch;
  }
  if (line.length) out.push(line.join('').trimEnd());
  return out;
}

describe('the progress bar on a terminal', () => {
  it('redraws in place and is wiped before every timeline line: no line shows both', () => {
    // `script` gives the run a pty for stdout and stderr, as `make sim` in a terminal window has.
    const r = spawnSync('script', ['-qec', 'node bin/preflight.js sim run host-sim/scenarios/night-shop.json --lang en', '/dev/null'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const bar = /\[[#.]{30}\] \d+% \d+\/\d+/;
    expect(r.stdout, 'the bar was drawn on the pty').toMatch(bar);
    const shown = screenLines(r.stdout);
    expect(shown.some((l) => /N4 +deny/.test(l))).toBe(true);
    for (const l of shown) expect(l, 'a line that still shows the bar').not.toMatch(/\[[#.]{3,}|\d+% \d+\/\d+/);
  }, 60_000);
});
