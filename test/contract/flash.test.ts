// One contract for the image area's Flash port (device/provision/flash.ts), run against every
// adapter the way MQTT.js runs one store suite against every store: the file system (NodeFlash),
// a copy in memory, and the power-cut harness of test/image/powercut.test.ts with no cut armed.
// The A/B updater relies on exactly these semantics.
import { describe, expect, it } from 'vitest';
import { NodeFlash, type Flash } from '../../device/provision/flash';
import { cleanup, tmp } from '../helpers/device';
import { CutFlash, MemFlash } from '../helpers/flash';

const bytes = (s: string) => new Uint8Array(Buffer.from(s));
const text = (b: Uint8Array | null) => (b ? Buffer.from(b).toString() : null);

const ADAPTERS: [string, () => { f: Flash; done(): void }][] = [
  ['NodeFlash', () => { const d = tmp('pf-flash-'); return { f: new NodeFlash(d), done: () => cleanup(d) }; }],
  ['MemFlash', () => ({ f: new MemFlash(), done() {} })],
  ['CutFlash over NodeFlash, no cut armed', () => { const d = tmp('pf-flash-'); return { f: new CutFlash(new NodeFlash(d), null), done: () => cleanup(d) }; }],
];

for (const [name, make] of ADAPTERS) {
  describe(`Flash contract: ${name}`, () => {
    it('read answers null for what is absent and the bytes written for what is there; write replaces', () => {
      const { f, done } = make();
      expect(f.read('img/a/agent.js')).toBeNull();
      f.write('img/a/agent.js', bytes('one'));
      f.write('img/a/agent.js', bytes('two!'));
      expect(text(f.read('img/a/agent.js'))).toBe('two!');
      const copy = f.read('img/a/agent.js')!; copy[0] = 0;
      expect(text(f.read('img/a/agent.js'))).toBe('two!');             // a read hands out a copy
      done();
    });
    it('list is recursive, relative to the folder, sorted, folders marked with a trailing /', () => {
      const { f, done } = make();
      f.write('img/staging/trust/operator.pub', bytes('k'));
      f.write('img/staging/agent.js', bytes('a'));
      expect(f.list('img/staging')).toEqual(['agent.js', 'trust/', 'trust/operator.pub']);
      expect(f.list('img/nothing')).toEqual([]);
      done();
    });
    it('rename moves a file over another and a folder into an empty place', () => {
      const { f, done } = make();
      f.write('img/active.tmp', bytes('b\n'));
      f.write('img/active', bytes('a\n'));
      f.rename('img/active.tmp', 'img/active');
      expect(text(f.read('img/active'))).toBe('b\n');
      expect(f.read('img/active.tmp')).toBeNull();
      f.write('img/staging/agent.js', bytes('x'));
      f.rename('img/staging', 'img/b');
      expect(text(f.read('img/b/agent.js'))).toBe('x');
      expect(f.list('img/staging')).toEqual([]);
      done();
    });
    it('remove takes a file or an empty folder, and absent paths quietly', () => {
      const { f, done } = make();
      f.write('img/a/x', bytes('1'));
      f.remove('img/a/x');
      f.remove('img/a');
      f.remove('img/never');
      expect(f.list('img')).toEqual([]);
      done();
    });
  });
}
