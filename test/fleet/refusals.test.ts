// What an attacker's run found (this stop's helper, with its own scripts): each is refused as bad
// input, exit 2 and one line, before anything is signed, sent or written.
import { expect, it } from 'vitest';
import { cli, usageError } from '../helpers/cli';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from '../helpers/device';
import { isCalendarDate } from '../../src/fleet/serve';

const bad = usageError;

const dir = tmp('pf-refusals-');
const reg = join(dir, 'registry');
mkdirSync(reg);
writeFileSync(join(reg, 'T-0001.pub'), 'ab'.repeat(32) + '\n');
writeFileSync(join(reg, 'fleet'), 'shop\n');
cli('keys', 'new', '--out', dir, '--name', 'operator');
const send = (...a: string[]) => cli('fleet', 'send', ...a, '--dev', 'T-0001', '--broker', 'mqtt://127.0.0.1:1', '--registry', reg, '--key', join(dir, 'operator.key'));

it('fleet send: a damaged counter file is refused, not read as 0, and left as it was', async () => {
  for (const junk of ['garbage', '-5', '1.5', '', '9007199254740993']) {
    writeFileSync(join(reg, 'T-0001.cmd'), junk + '\n');
    bad(send('lock'), /T-0001\.cmd is damaged/);
    expect(readFileSync(join(reg, 'T-0001.cmd'), 'utf8')).toBe(junk + '\n');
  }
  writeFileSync(join(reg, 'T-0001.cmd'), '3\n');
});

it('fleet send: arguments the terminal would refuse are refused before signing', async () => {
  bad(send('hours-extend', '--args', '{"until":"2020-01-01T00:00:00Z"}'), /within the next 24 hours/);
  bad(send('hours-extend', '--args', '{"untilMs":8640000000000001}'), /within the next 24 hours/);
  bad(send('hours-extend', '--args', '{"until":"2026-12-02T05:00:00"}'), /with its offset/);
  bad(send('hours-extend', '--args', '{"until":"2026-12-02T05:00:00Z","untilMs":1}'), /not both/);
  writeFileSync(join(dir, 'not-policy.json'), '{"not":"a policy"}');
  bad(send('policy', '--args', JSON.stringify({ policy: join(dir, 'not-policy.json') })), /not a signed policy/);
  bad(send('policy', '--args', '{"policy":"/etc/passwd"}'), /not a signed policy/);
  expect(readFileSync(join(reg, 'T-0001.cmd'), 'utf8')).toBe('3\n');   // no counter was spent
});

it('paths, ports and dates the user got wrong are one line, never a stack trace', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  bad(cli('doctor', '--data', file), /a file where a folder is needed/);
  bad(cli('sim', 'run', 'host-sim/scenarios/day-at-a-shop.json', '--data', join(dir, 'd'), '--broker', 'mqtt://127.0.0.1:99999'), /port must be 1\.\.65535/);
  bad(cli('fleet', 'report', '--db', join(dir, 'f.sqlite'), '--date', '2026-02-30'), /calendar date/);
  expect(isCalendarDate('2026-02-28')).toBe(true);
  expect(isCalendarDate('2026-02-30')).toBe(false);
});
