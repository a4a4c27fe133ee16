// An image update that arrives as a signed command (issue 8): the agent authenticates and journals
// it, the loader stages, verifies and switches at the restart; a forged command stages nothing, and
// an image the loader refuses leaves the installed one running, with the refusal in the boot entry.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installImage } from '../../host-sim/loader';
import { runScenario } from '../../host-sim/scenario/run';
import { parseScenario } from '../../host-sim/scenario/parse';
import { toHex } from '../../src/core/util/bytes';
import { card } from '../helpers/scenario';
import { writeKeyPair } from '../../src/node/keys';
import { operatorDir } from '../../host-sim/scenario/operator';
import { bundleVariant, imageDir, newKeys, rm, tmp } from './rig';
import { writeImage } from '../../device/provision/image';
import { makeImage } from './rig';

describe('image update by command', () => {
  it('installs a newer image, refuses a forged command and a tampered image, and keeps trading', async () => {
    const keys = newKeys();
    const dataDir = tmp('pf-upd-');
    // The scenario's operator is the image's: its commands must verify against the image's trust anchor.
    writeKeyPair(join(operatorDir(dataDir), 'keys'), 'operator', keys.operator);
    writeKeyPair(join(operatorDir(dataDir), 'keys'), 'backend', keys.backend);
    const v1 = imageDir({ version: 1000, keys });
    const v2 = imageDir({ version: 1001, keys, bundle: bundleVariant('v1001') });
    const bad = tmp('pf-bad-');
    const files = makeImage({ version: 1002, keys, bundle: bundleVariant('v1002') });
    files.set('agent.js', bundleVariant('tampered after signing'));
    writeImage(bad, files);
    const inst = installImage(dataDir, v1);
    expect(inst.ok).toBe(true);
    const sc = parseScenario({ name: 'update', device: { id: 'T-UPD' }, start: { time: '2026-03-02T10:00:00+08:00', fix: { lat: 31.2304, lon: 121.4737, accuracyM: 10 } },
      events: [card('A'), { cmd: { kind: 'image-update', image: v2 } }, card('B'), { cmd: { kind: 'image-update', image: v2, forge: true } },
        { cmd: { kind: 'image-update', image: bad } }, card('C')].map((e, i) => ({ at: `+${i}m`, ...e })) });
    const r = await runScenario(sc, { dataDir, bundle: (inst as any).loaded.bundle, network: null });
    const boots = r.lines.filter((l) => l.event === 'boot').map((l) => l.reason as string);
    expect(boots[0]).toBe('power-on');
    expect(boots[1]).toBe('image-updated: version 1001');
    expect(boots[2]).toMatch(/^image-refused: /);                      // the tampered image never ran
    expect(boots).toHaveLength(3);                                      // the forged command restarted nothing
    const cmds = r.lines.filter((l) => l.event === 'command').map((l) => [l.kind, l.accepted]);
    expect(cmds).toEqual([['image-update', true], [null, false], ['image-update', true]]);   // a forged command's kind is not trusted
    const images = r.lines.filter((l) => l.event === 'image');
    expect(images.at(-1)).toMatchObject({ running: 1001 });
    for (const ref of ['A', 'B', 'C']) expect((r.lines.find((l) => l.event === 'result' && l.ref === ref) as any).outcome, ref).toBe('approved');
    for (const d of [dataDir, v1, v2, bad]) rm(d);
  }, 120_000);
});
