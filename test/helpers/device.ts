// Runs the agent core directly under Node on a NodeHal (file-backed flash in a temp folder): the
// same code as the bundle, fast enough to repeat a workload at every crash point.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../src/core/agent/agent';
import { NodeHal } from '../../host-sim/hal/node-hal';
import { AcquirerSim } from '../../host-sim/acquirer';
import { newKeyPair, type KeyPair } from '../../src/node/keys';
import { signPolicy } from '../../device/provision/policy';
import { toHex } from '../../src/core/util/bytes';
import { demoPolicyJson, sh } from './policy';
import { encode } from '../../src/core/codec/cbor';
import { sign1 } from '../../src/core/crypto/cose';
import { ackBody } from '../../src/core/telemetry/wire';

export const tmp = (name = 'pf-') => mkdtempSync(join(tmpdir(), name));

export interface Rig { dir: string; hal: NodeHal; operator: KeyPair; backend: KeyPair; agent: Agent; acq: AcquirerSim }

/** Flashes trust anchors and the demo policy into `dir`. */
export function flash(dir: string, operator: KeyPair, backend: KeyPair, edit: (p: any) => void = () => {}): void {
  mkdirSync(join(dir, 'trust'), { recursive: true });
  writeFileSync(join(dir, 'trust/operator.pub'), toHex(operator.pub) + '\n');
  writeFileSync(join(dir, 'trust/backend.pub'), toHex(backend.pub) + '\n');
  const j = demoPolicyJson();
  edit(j);
  writeFileSync(join(dir, 'policy.cose'), signPolicy(j, operator, sh('2026-03-02T10:00')));
}

export function rig(opts: { dir?: string; startLocal?: string; operator?: KeyPair; backend?: KeyPair; storageBytes?: number; edit?: (p: any) => void } = {}): Rig {
  const dir = opts.dir ?? tmp();
  const operator = opts.operator ?? newKeyPair(), backend = opts.backend ?? newKeyPair();
  if (!opts.dir) flash(dir, operator, backend, opts.edit);
  const hal = new NodeHal({ dir, storageBytes: opts.storageBytes ?? 4 << 20, startWallMs: sh(opts.startLocal ?? '2026-03-02T10:00') });
  hal.fix = { lat: 31.2304, lon: 121.4737, accuracyM: 10, monoMs: 0 };
  const agent = new Agent(hal, { dev: 'T-TEST', fleet: 'test' });
  const b = agent.boot('power-on');
  if (!b.ok) throw new Error(b.error);
  return { dir, hal, operator, backend, agent, acq: new AcquirerSim() };
}

/** Reboots on the same flash (after a power cut or not): a new Agent, the monotonic clock restarts. */
export function reboot(r: Rig, why = 'power-cut'): Rig {
  r.hal.powerOn();
  const agent = new Agent(r.hal, { dev: 'T-TEST', fleet: 'test' });
  const b = agent.boot(why);
  if (!b.ok) throw new Error(b.error);
  return { ...r, agent };
}

/** One sale through preflight and the acquirer; returns the outcome or null if power went. */
export function sell(r: Rig, ref: string, amountMinor = 1000, host: Record<string, any> | null = null): string | null {
  const d = r.agent.tx.preflight({ ref, type: 'sale', channel: 'card', amountMinor, entryMode: '051', conditionCode: '00' });
  if (r.hal.dead || !d.request) return r.hal.dead ? null : d.verdict;
  const a = r.agent.tx.answer(ref, r.acq.answer(d.request, host));
  if (r.hal.dead) return null;
  return a.ok ? a.value.outcome : a.error;
}

export const cleanup = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** The backend's signed ack of `seq` for this rig's terminal, naming its entry's head as the fleet does (SPEC §7). */
export function ackOf(r: Rig, seq: number, key = r.backend.secretKey): Uint8Array {
  return sign1(encode(ackBody('T-TEST', seq, r.agent.journal.sealedHead(seq) ?? new Uint8Array(32))), key);
}
