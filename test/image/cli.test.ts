// `preflight image build|flash|verify` through imageCommand, as host-sim/cli.ts will call it: exit
// codes 0/1, one-line UsageErrors, release.key beside the output, and `sim run --image` booting it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dispatch } from '../../src/cli/dispatch';
import { UsageError } from '../../src/node/errors';
import { writeKeyPair } from '../../src/node/keys';
import { loadInstalledImage } from '../../host-sim/loader';
import { runScenario } from '../../host-sim/scenario/run';
import { parseScenario } from '../../host-sim/scenario/parse';
import { bundleBytes, imageDir, policyCose, newKeys, rm, tmp, type Keys } from './rig';

let w: string, keys: Keys;
const lines: string[] = [];
const run = (...argv: string[]) => dispatch(['image', ...argv], (s) => lines.push(s));
const usage = async (argv: string[], re: RegExp) => {
  const e = await run(...argv).then(() => null, (x) => x);
  expect(e, argv.join(' ')).toBeInstanceOf(UsageError);
  expect(e.message).toMatch(re);
};

beforeAll(() => {
  w = tmp('pf-cli-');
  keys = newKeys();
  writeKeyPair(w, 'operator', keys.operator);
  writeKeyPair(w, 'backend', keys.backend);
  // The CLI judges validity by the real clock (SPEC §4): a policy valid for years, so the test does not age.
  writeFileSync(join(w, 'P.cose'), policyCose(keys.operator, 1, (p) => { p.validUntil = '2031-01-01T00:00:00+08:00'; }));
  writeFileSync(join(w, 'agent.js'), bundleBytes());
});
afterAll(() => rm(w));

describe('preflight image', () => {
  const build = (out: string, ...more: string[]) => run('build', '--policy', join(w, 'P.cose'), '--trust', join(w, 'operator.pub'),
    '--backend', join(w, 'backend.pub'), '--out', join(w, out), '--bundle', join(w, 'agent.js'), ...more);

  it('build needs a release key and says how to make one', async () => {
    await usage(['build', '--policy', join(w, 'P.cose'), '--trust', join(w, 'operator.pub'), '--backend', join(w, 'backend.pub'), '--out', join(w, 'img0')],
      /no release key: pass --key RELEASE\.key, or make .*release\.key with `preflight keys new --out .* --name release`/);
  });

  it('builds with release.key beside the output, verifies, flashes, and refuses a downgrade', async () => {
    writeKeyPair(w, 'release', keys.release);
    expect(await build('img1')).toBe(0);
    expect(lines.at(-1)).toMatch(/^image .*img1: version 1000, build 0\.1\.0\+[0-9a-f]{12}, HAL ABI 1/);
    expect(await run('verify', '--image', join(w, 'img1'))).toBe(0);
    expect(await run('verify', '--image', join(w, 'img1'), '--release', join(w, 'release.pub'))).toBe(0);
    expect(await run('verify', '--image', join(w, 'img1'), '--release', join(w, 'operator.pub'))).toBe(1);
    expect(lines.at(-1)).toMatch(/^INVALID: manifest signature does not verify/);

    const data = join(w, 'data');
    expect(await run('flash', '--image', join(w, 'img1'), '--data', data)).toBe(0);
    expect(lines.at(-1)).toMatch(/^flashed: version 1000 .* in slot a of /);
    expect(await run('flash', '--image', join(w, 'img1'), '--data', data)).toBe(0);
    expect(lines.at(-1)).toMatch(/^already installed/);

    expect(await build('img2', '--key', join(w, 'release.key'), '--version', '999')).toBe(0);
    expect(await run('verify', '--image', join(w, 'img2'), '--data', data)).toBe(1);
    expect(lines.at(-1)).toMatch(/INVALID: version 999 is lower than the installed version 1000 \(anti-rollback\)/);
    expect(await run('flash', '--image', join(w, 'img2'), '--data', data)).toBe(1);
    expect(lines.slice(-2)).toEqual(['REFUSED: version 999 is lower than the installed version 1000 (anti-rollback)', 'the terminal keeps its installed image']);
    expect(loadInstalledImage(data)).toMatchObject({ ok: true, slot: 'a', manifest: { version: 1000 } });

    writeFileSync(join(w, 'img1/agent.js'), readFileSync(join(w, 'img1/agent.js'), 'utf8') + ' ');
    expect(await run('verify', '--image', join(w, 'img1'))).toBe(1);
    expect(lines.at(-1)).toMatch(/^INVALID: agent\.js does not match the manifest/);
  });

  it('refuses a policy the terminal would refuse, and other bad input, with one line', async () => {
    writeFileSync(join(w, 'bad.cose'), policyCose(keys.backend));
    await usage(['build', '--policy', join(w, 'bad.cose'), '--trust', join(w, 'operator.pub'), '--backend', join(w, 'backend.pub'), '--out', join(w, 'x')],
      /--policy is not signed by the --trust operator key/);
    await usage(['build', '--policy', join(w, 'P.cose'), '--trust', join(w, 'P.cose'), '--backend', join(w, 'backend.pub'), '--out', join(w, 'x')], /--trust: public key .* not a key file/);
    await usage(['build', '--policy', join(w, 'P.cose'), '--trust', join(w, 'operator.pub'), '--backend', join(w, 'backend.pub'), '--out', join(w, 'x'), '--version', '1.5'], /--version must be a whole number/);
    await usage(['build', '--policy', join(w, 'P.cose'), '--trust', join(w, 'operator.pub'), '--backend', join(w, 'backend.pub'), '--out', w], /folder is not empty and holds no image/);
    await usage(['build', '--policy', join(w, 'agent.js'), '--trust', join(w, 'operator.pub'), '--backend', join(w, 'backend.pub'), '--out', join(w, 'x')], /--policy: the file is not a signed policy/);
    await usage(['build', '--policy', join(w, 'P.cose'), '--trust', join(w, 'operator.pub'), '--backend', join(w, 'backend.pub'), '--out', join(w, 'x'), '--key', join(w, 'release.pub')], /give the secret RELEASE\.key, not the public \.pub/);
    await usage(['build', '--trust', join(w, 'operator.pub')], /--policy is required/);
    // Issue 17: an expired policy was built into an image and flashed without a word.
    const old = policyCose(keys.operator, 1, (p) => { p.validUntil = '2026-06-01T00:00:00+08:00'; });
    writeFileSync(join(w, 'old.cose'), old);
    await usage(['build', '--policy', join(w, 'old.cose'), '--trust', join(w, 'operator.pub'), '--backend', join(w, 'backend.pub'), '--out', join(w, 'x')],
      /--policy expired at 2026-06-01T00:00:00\+08:00: a terminal would refuse every sale under it/);
    const oldImage = imageDir({ version: 1, keys, policy: old });
    expect(await run('flash', '--image', oldImage, '--data', join(w, 'd-old'))).toBe(1);
    expect(lines.at(-1)).toMatch(/^REFUSED: the image's policy expired at 2026-06-01T00:00:00\+08:00; the terminal would refuse every sale/);
    expect(loadInstalledImage(join(w, 'd-old')).ok).toBe(false);
    await usage(['flash', '--image', join(w, 'nope'), '--data', join(w, 'd')], /--image .*nope: no such folder/);
    await usage(['verify'], /--image is required/);
    await usage(['burn'], /unknown command "image burn"/);
    lines.length = 0;
    expect(await run()).toBe(2);                                         // the group's usage, as bad usage
    expect(lines.join('\n')).toMatch(/preflight image build .*\n.*preflight image flash .*\n.*preflight image verify/);
  });

  it('sim run --image: the loader hands the verified bundle to the simulator', async () => {
    const data = join(w, 'sim');
    expect(await build('img3', '--version', '2000')).toBe(0);
    expect(await run('flash', '--image', join(w, 'img3'), '--data', data)).toBe(0);
    const l = loadInstalledImage(data);
    if (!l.ok) throw new Error(l.reason);
    const sc = parseScenario({
      name: 'image boot', device: { id: 'T-IMG', fleet: 'demo', heapLimitBytes: 1048576, storageBytes: 4194304 },
      // `policy` left out: a flashed terminal trades under its image's policy (SPEC §9).
      start: { time: '2026-03-02T10:00:00+08:00', fix: { lat: 31.2304, lon: 121.4737, accuracyM: 15 } },
      events: [{ at: '+0s', txn: { ref: 'A1', type: 'sale', channel: 'card', amountMinor: 12800, entryMode: '051', conditionCode: '00' } }],
    });
    const r = await runScenario(sc, { dataDir: data, bundle: l.bundle, network: null });
    expect(r.lines.find((x) => x.event === 'boot')).toMatchObject({ ok: true, policyVersion: 1, policyProblem: null });
    expect(r.lines.find((x) => x.event === 'decision')).toMatchObject({ verdict: 'allow' });
    // The image's operator key, not the scenario's throwaway one, is what the terminal trusts.
    expect(readFileSync(join(data, 'trust/operator.pub'), 'utf8')).toBe(readFileSync(join(w, 'operator.pub'), 'utf8'));
    // And a scenario that brings a policy of its own making is refused in words, before anything boots.
    const own = parseScenario({ ...sc, device: { id: 'T-IMG' }, start: { time: '2026-03-02T10:00:00+08:00' }, events: [],
      policy: JSON.parse(readFileSync('host-sim/scenarios/policy-demo.json', 'utf8')) } as any);
    await expect(runScenario(own, { dataDir: data, bundle: l.bundle, network: null })).rejects.toThrow(/flashed with an image and trusts only its operator key/);
  }, 30_000);
});
