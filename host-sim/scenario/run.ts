// Drives one simulated terminal through a scenario (SPEC §9) on a virtual clock: boots the real
// bundle in QuickJS, feeds it transactions, GPS, clock, network, power and faults, plays the
// acquirer, and reports every decision and result as a line. The simulator is only the terminal
// and its world: the policy, the commands, the enrolment and the fleet it reports to are the
// product's own provisioning and fleet code (operator.ts, provision.ts, fleet.ts). Every line says
// when it happened in the shop's local time with its offset (SPEC §9), from the policy on the flash.

import { parseSign1 } from '../../src/core/crypto/cose';
import { decode } from '../../src/core/codec/cbor';
import { sha512 } from '../../src/core/crypto/hash';
import { topic } from '../../src/core/telemetry/topics';
import { toHex } from '../../src/core/util/bytes';
import { newKeyPair } from '../../src/node/keys';
import { nextCounter, signCommand } from '../../src/fleet/commands';
import { enrol } from '../../src/fleet/enrol';
import { publishOnce } from '../../src/fleet/send';
import { signPolicy } from '../../device/provision/policy';
import { readImageDir, stageUpdate } from '../../device/provision/flash';
import { MANIFEST } from '../../device/provision/manifest';
import { AcquirerSim } from '../acquirer';
import { NodeHal, offlineNet } from '../hal/node-hal';
import { loadInstalledImage } from '../loader';
import type { Network, Port } from '../net/network';
import { DeviceCrash, DeviceVM, type CallResult, type Engine } from '../vm/vm';
import type { EmbeddedFleet } from './fleet';
import { operatorSide, type OperatorSide } from './operator';
import type { Scenario, SimEvent } from './parse';
import { provisionForScenario } from './provision';
import { localIso, policyOnFlash, readEntries } from '../../src/node/flash-read';
import { readOnlyFlash } from '../../src/node/flash-folder';
import type { Transitions } from '../../src/core/time/local';

/** The firmware's tick (device/hal-contract.md: every few seconds while idle): it never wakes the agent more often. */
const FIRMWARE_TICK_S = 5;

export type Line = Record<string, unknown> & { event: string };

/** The run's telemetry: what went on the wire over all its boots, and the last boot's own counters beside it. */
function telemetrySummary(net: Network | null, lastBoot: Record<string, unknown> | null, boots: number): Record<string, unknown> {
  const w = net ? net.sent() : { count: 0, bytes: 0, byKind: {}, connects: 0, births: 0 };
  return { ...w, boots, lastBoot };
}

export interface RunOptions {
  dataDir: string;
  bundle: string;
  network?: Network | null;      // null: --broker none
  /** The fleet consumer on the embedded broker; with an external broker, whoever consumes there acknowledges. */
  fleet?: EmbeddedFleet | null;
  /** The operator side (keys, registry, store); by default DIR.fleet beside the data folder. */
  operator?: OperatorSide;
  policyBytes?: Uint8Array;      // a .cose named by the scenario
  engine?: Engine;
  onLine?: (l: Line) => void;
  onProgress?: (done: number, total: number) => void;
  /** Called before each event (tests use it to kill brokers or backends at a chosen moment). */
  beforeEvent?: (index: number) => Promise<void> | void;
  debugVm?: boolean;
}

export interface RunResult { lines: Line[]; summary: Line; hal: NodeHal }

export async function runScenario(sc: Scenario, opts: RunOptions): Promise<RunResult> {
  const lines: Line[] = [];
  // The shop's offsets: the start time's until a policy on the flash names the zone.
  let tz: Transitions = [[0, sc.start.offsetMin]];
  const fmtAt = (ms: number) => localIso(tz, ms);
  const readTz = () => { const p = policyOnFlash(readOnlyFlash(opts.dataDir)); if (p) tz = p.site.tz; };
  const emit = (l: Line) => {
    if (l.at === undefined && l.event !== 'summary') l.at = fmtAt(hal.clock.wallMs());
    lines.push(l); opts.onLine?.(l);
    // The alerts the terminal raised while making this line's event follow it.
    if (l.event !== 'summary') for (const a of alerts.splice(0)) emit(a);
  };
  /** The terminal's own alerts (SPEC §7) as its log says them (offline nothing is published; the log has each).
   *  Their figures go in `params`: a line's `detail` is always a list of reasons. */
  const alerts: Line[] = [];
  const op = opts.operator ?? operatorSide(opts.dataDir);
  const prov = provisionForScenario(opts.dataDir, sc.policy, op, opts.policyBytes, sc.start.timeMs);
  readTz();
  let vm = null as DeviceVM | null;
  let bundleText = opts.bundle;   // what the loader runs; an accepted image-update may change it
  const hal = new NodeHal({
    dir: opts.dataDir, storageBytes: sc.device.storageBytes, startWallMs: sc.start.timeMs, nativeSigner: sc.device.nativeSigner,
    heapFree: () => (vm ? vm.heapFree() : sc.device.heapLimitBytes),
  });
  const log = hal.log;
  hal.log = (level, msg) => {
    log(level, msg);
    if (!msg.startsWith('alert {')) return;
    const a = JSON.parse(msg.slice(6)) as { kind: string; seq: number; detail: Record<string, unknown> };
    alerts.push({ event: 'alert', ref: a.detail.ref, kind: a.kind, seq: a.seq, params: a.detail, at: fmtAt(hal.clock.wallMs()) });
  };
  if (sc.start.fix) hal.fix = { ...sc.start.fix, monoMs: 0 };
  const net = opts.network ?? null;
  const fleet = opts.fleet ?? null;
  let linkUp = true;
  let port = null as Port | null;
  hal.net = offlineNet;
  const ackTopic = topic(sc.device.fleet, sc.device.id, 'ack');
  let answered: boolean | null = null;   // did a backend acknowledge in this run (null: not known yet)
  const inboxHas = (t: string) => !!port && port.inbox.some((m) => 'topic' in m && m.topic === t);
  /** Delivers what the broker handed the terminal (acks, commands) once in-flight traffic settled. */
  const pumpNet = async () => {
    if (!net) return;
    for (let round = 0; round < 10; round++) {
      await net.settle();
      if (!vm || !port || !port.inbox.length) return;
      const msgs = port.inbox.splice(0);
      for (const m of msgs) {
        const v = vm as DeviceVM | null;
        if (!v) return;
        try {
          if ('up' in m) { emit({ event: 'link', up: m.up }); v.event({ t: 'net.state', up: m.up && linkUp }); }
          else { if (m.topic === ackTopic) answered = true; await delivered(v.event({ t: 'net.msg', topic: m.topic, payload: m.payload })); }
        } catch (e) { if (!(e instanceof DeviceCrash)) throw e; }
      }
      call('idle');
    }
  };
  const acq = new AcquirerSim();
  let bootReason = 'power-on';
  let lastCmd: Uint8Array | null = null;
  /** The image an image-update command named, staged by the firmware once the agent accepts it. */
  let pendingImage: ReturnType<typeof readImageDir> | null = null;
  let heapPeak = 0;

  /** What the agent answered to a message that came down (a command): a line, and the firmware's part. */
  const delivered = async (r: CallResult) => {
    const c = r.ok ? (r.value as { command?: { accepted: boolean; why: string; kind: string | null } } | null)?.command : undefined;
    if (!c) return;
    emit({ event: 'command', kind: c.kind, accepted: c.accepted, why: c.why || undefined });
    if (c.kind === 'policy' && c.accepted) readTz();
    if (c.kind === 'image-update' && c.accepted && pendingImage) { const img = pendingImage; pendingImage = null; await updateImage(img); }
  };

  const down = (why: string, during?: string) => {
    if (vm) { heapPeak = Math.max(heapPeak, vm.heapPeakBytes); vm.dispose(); vm = null; }
    if (port) { port.end(true); port = null; hal.net = offlineNet; }
    emit({ event: 'power', state: 'lost', why, during, at: fmtAt(hal.clock.wallMs()) });
    bootReason = why;
  };

  /** One call into the terminal; a crash or a lost power supply takes the VM down. */
  const call = <T = any>(method: string, arg?: unknown, during?: string): CallResult<T> | null => {
    if (!vm) return null;
    try {
      const r = vm.call<T>(method, arg);
      if (hal.dead) { down('power-cut', during); return null; }
      return r;
    } catch (e) {
      if (!(e instanceof DeviceCrash)) throw e;
      emit({ event: 'crash', kind: e.kind, message: e.message, during });
      down(`crash-${e.kind}`, during);
      hal.powerOn();
      return null;
    }
  };

  let enrolled = false;
  /** Provisioning's last step (SPEC §7 registry): the booted terminal's key into the run's registry. */
  const enrolHere = (): boolean => {
    try {
      const e = enrol({ dataDir: opts.dataDir, registry: op.registry, dev: sc.device.id });
      emit({ event: 'enrol', ok: true, dev: e.dev, registry: op.registry });
      return true;
    } catch (e) {
      emit({ event: 'enrol', ok: false, why: (e as Error).message });
      return true; // said once; the fleet will not acknowledge this terminal
    }
  };

  const boot = async () => {
    hal.powerOn();
    if (net) { port = net.port(sc.device, () => linkUp); hal.net = port; }
    try {
      vm = await DeviceVM.load({ bundle: bundleText, hal, heapLimitBytes: sc.device.heapLimitBytes, debug: opts.debugVm, engine: opts.engine });
      const r = vm.start({ dev: sc.device.id, fleet: sc.device.fleet }, bootReason);
      if (hal.dead) { down('power-cut', 'boot'); return; }
      if (!r.ok) { emit({ event: 'boot', ok: false, error: r.error }); vm.dispose(); vm = null; return; }
      readTz();
      emit({ event: 'boot', ok: true, reason: bootReason, at: fmtAt(hal.clock.wallMs()), seq: r.value.seq, policyVersion: r.value.policyVersion,
             policyProblem: r.value.policyProblem, pub: r.value.pub });
      resultsOfBoot();
      bootReason = 'power-on';
      if (fleet && !enrolled) enrolled = enrolHere();
      if (prov.install) {
        // The folder held another policy: the scenario's goes in the way any new policy does (SPEC §4).
        const pi = vm.call<any>('installPolicy', { cose: toHex(prov.install) });
        prov.install = null;
        emit({ event: 'policy', accepted: pi.ok, version: pi.ok ? pi.value.version : undefined, why: pi.ok ? undefined : pi.error });
        readTz();
      }
      if (net) {
        // A moment for the link to come up, as firmware connects before it reports (bounded; a
        // refused connection ends it at once), so every connect is announced before the next event.
        for (const t0 = Date.now(); linkUp && port && !port.connected() && Date.now() - t0 < 1500;) {
          const rb = net.reachability();
          if (!rb.reached && rb.error) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        await net.settle(); vm.event({ t: 'net.state', up: hal.net.connected() }); await pumpNet();
      }
      if (r.value.settle || (settling && r.value.batch.no === settlingBatch)) settle(settling, true);
      else if (settling) {
        // The terminal closed the batch before the power went; the host had closed it too.
        acq.closeBatch(); settling = null;
        emit({ event: 'settlement', ok: true, resumed: true, closedBeforeCut: true, batch: r.value.batch.no - 1, nextBatch: r.value.batch.no, balanced: true, reasons: [] });
      }
    } catch (e) {
      if (!(e instanceof DeviceCrash)) throw e;
      emit({ event: 'crash', kind: e.kind, message: e.message, during: 'boot' });
      vm = null; bootReason = `crash-${e.kind}`;
    }
  };

  /** Requests the power cut short are settled at boot as timeouts (SPEC §5): a line each, as the journal has them. */
  const resultsOfBoot = () => {
    const es = readEntries(readOnlyFlash(opts.dataDir));
    let i = es.length - 1;
    while (i >= 0 && es[i]!.rec.type !== 'boot') i--;
    for (const e of es.slice(i + 1)) {
      if (e.rec.type !== 'result') continue;
      const b = e.rec.body;
      emit({ event: 'result', ref: b.ref, outcome: b.outcome, reasons: b.reasons.map((x) => x.name), detail: b.reasons, recovered: true, at: fmtAt(e.t) });
    }
  };

  const sendReversals = () => {
    for (let i = 0; i < 8; i++) {
      const r = call<any>('nextReversal');
      if (!r || !r.ok || !r.value) return;
      const ans = linkUp ? acq.reversal(r.value.reverses) : { timeout: true };
      const a = call<{ done: boolean }>('reversalAnswer', { ref: r.value.ref, answer: ans });
      if (!a || !a.ok) return;
      emit({ event: 'reversal', ref: r.value.ref, done: a.value.done, f39: (ans as any).f39 ?? null });
      if (!a.value.done) return;
    }
  };

  let armedCut: { atWrite: number; midWrite: boolean } | null = null;
  /** A cut armed by a `power: {cutAtWrite}` event counts the writes of the next txn or settle. */
  const armCut = () => { if (armedCut) { hal.faults.cutAtWrite = armedCut.atWrite; hal.faults.midWrite = armedCut.midWrite; armedCut = null; } };
  const txn = (e: Extract<SimEvent, { kind: 'txn' }>) => {
    sendReversals();
    if (!vm) return;
    armCut();
    const ref = String(e.txn.ref ?? '');
    const d = call<any>('preflight', e.txn, ref);
    if (!d) return;
    if (!d.ok) { emit({ event: 'error', ref, error: d.error }); return; }
    const v = d.value;
    emit({ event: 'decision', ref: v.ref, at: fmtAt(hal.clock.wallMs()), verdict: v.verdict, reasons: v.reasons.map((r: any) => r.name), detail: v.reasons,
           fix: hal.fix ? { lat: hal.fix.lat, lon: hal.fix.lon, accuracyM: hal.fix.accuracyM } : null });
    if (!v.request) return;
    const answer = linkUp ? acq.answer(v.request, e.host) : { timeout: true };
    const r = call<any>('answer', { ref: v.ref, answer }, ref);
    if (!r) return;
    if (!r.ok) { emit({ event: 'error', ref, error: r.error }); return; }
    emit({ event: 'result', ref: v.ref, outcome: r.value.outcome, reasons: r.value.reasons.map((x: any) => x.name), detail: r.value.reasons });
  };

  let settling: Record<string, { count: number; amount: number }> | null = null;
  let settlingBatch = 0;
  const settle = (hostTotals: Record<string, { count: number; amount: number }> | null, resumed = false) => {
    if (!linkUp) { emit({ event: 'settlement', ok: false, why: 'network down: settlement needs the acquirer' }); return; }
    sendReversals();
    if (!resumed) armCut();
    const host = hostTotals ?? settling ?? acq.totals();
    if (!settling) { const st = call<any>('status'); settlingBatch = st && st.ok ? st.value.batch.no : 0; }
    settling = host;
    const b = call<any>('settleBegin');
    if (!b || !b.ok) { if (b) emit({ event: 'settlement', ok: false, why: b.error }); return; }
    const c = call<any>('settleCompare', { host });
    if (!c || !c.ok) { if (c) emit({ event: 'settlement', ok: false, why: c.error }); return; }
    if (!c.value.balanced) {
      // 对账不平: upload the batch's transactions (0320), then close (domain notes §4).
      const u = call<any>('settleUploaded');
      if (!u || !u.ok) return;
    }
    const cl = call<any>('settleClose');
    if (!cl || !cl.ok) { if (cl) emit({ event: 'settlement', ok: false, why: cl.error }); return; }
    acq.closeBatch();
    settling = null;
    emit({ event: 'settlement', ok: true, resumed, batch: b.value.batch, local: b.value.local, host, balanced: c.value.balanced,
           reasons: c.value.reasons.map((x: any) => x.name), detail: c.value.reasons, nextBatch: cl.value.nextBatch });
  };

  /**
   * A `cmd` event: signed by the operator side with the fleet's command code and the registry's
   * next counter, then sent down the way `preflight fleet send` sends it (QoS 1 on the device's
   * cmd topic), or, with no network at all, handed to the terminal's link as if it had arrived.
   * `forge`, `expired`, `replay` and an explicit `n` make the bad ones an attacker would send.
   */
  const command = async (cmd: Record<string, any>) => {
    let bytes: Uint8Array;
    pendingImage = null;
    if (cmd.replay && lastCmd) bytes = lastCmd;
    else {
      const { kind, forge, expired, replay: _r, n, policy, image: imagePath, minutes, dev, ...args } = cmd;
      const target = typeof dev === 'string' ? dev : sc.device.id;
      if (kind === 'policy') args.policy = signPolicy(policy ?? (sc.policy as Record<string, unknown>), op.operator, sc.start.timeMs);
      if (kind === 'hours-extend' && args.untilMs === undefined) args.untilMs = hal.clock.wallMs() + (minutes ?? 60) * 60_000;
      if (kind === 'image-update') {
        pendingImage = readImageDir(String(imagePath ?? ''));
        const m = pendingImage.get(MANIFEST);
        const parsed = m ? parseSign1(m, 'manifest') : null;
        const mv = parsed && parsed.ok ? decode(parsed.value.payload, 'manifest') : null;
        args.manifestSha512 = m ? toHex(sha512(m)) : '';
        args.version = mv && mv.ok ? (mv.value as { version?: number }).version : 0;
      }
      const c = nextCounter(op.registry, target, typeof n === 'number' ? n : undefined);
      const counter = c.ok ? c.value : (typeof n === 'number' ? n : 0);
      bytes = signCommand(forge ? newKeyPair() : op.operator,
        { dev: target, kind: String(kind), n: counter, exp: hal.clock.wallMs() + (expired ? -60_000 : 3600_000), args });
      lastCmd = bytes;
    }
    const cmdTopic = topic(sc.device.fleet, sc.device.id, 'cmd');
    if (net) {
      const p = await publishOnce(net.url, cmdTopic, bytes);
      if (!p.ok) emit({ event: 'command', kind: cmd.kind, accepted: false, why: `not sent: ${p.error}` });
      // A connected terminal gets it through the broker before the scenario's next event (bounded);
      // an offline one at its next connect (persistent session).
      for (const t0 = Date.now(); p.ok && port?.connected() && !inboxHas(cmdTopic) && Date.now() - t0 < 2000;) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await pumpNet();
    } else if (vm) {
      const r = (vm as DeviceVM).event({ t: 'net.msg', topic: cmdTopic, payload: bytes });
      await delivered(r);
    }
  };

  /** The firmware's part of an accepted image-update: stage, restart, let the loader verify and switch. */
  const updateImage = async (image: ReturnType<typeof readImageDir>) => {
    const staged = stageUpdate(opts.dataDir, image);
    if (!staged.ok) { emit({ event: 'image', staged: false, why: staged.error }); bootReason = `image-refused: ${staged.error}`; }
    call('shutdown');
    if (vm) { heapPeak = Math.max(heapPeak, vm.heapPeakBytes); vm.dispose(); vm = null; }
    // The clean offline status (SPEC §7) reaches the broker before the next boot's birth can.
    if (port) { if (net) await net.settle(); port.end(false); port = null; }
    const l = loadInstalledImage(opts.dataDir);
    if (l.ok) {
      bundleText = l.bundle;
      if (l.committed) bootReason = `image-updated: version ${l.committed.version}`;
      else if (l.refused) bootReason = `image-refused: ${l.refused}`;
      emit({ event: 'image', staged: staged.ok, running: l.manifest.version, slot: l.slot, refused: l.refused ?? undefined });
    } else emit({ event: 'image', staged: staged.ok, error: l.reason });
    await boot();
  };

  /**
   * The time between events passes as on a terminal: its firmware sleeps until the agent's `wakeS`
   * (never sooner than a tick) and runs idle then, so seals, uploads and heartbeats fall when they
   * are due rather than at the next event.
   */
  const waitUntil = async (at: number) => {
    while (vm && at > hal.trueWallMs) {
      const wake = idleWake();
      if (net) { await pumpNet(); await awaitAck(); }
      if (wake === null || hal.trueWallMs + wake * 1000 >= at) break;
      hal.advance(wake * 1000);
    }
    if (at > hal.trueWallMs) hal.advance(at - hal.trueWallMs);
  };
  /**
   * Simulated seconds pass in microseconds, a real consumer answers in milliseconds: what the
   * terminal sent is given real time to be acknowledged before the clock runs past its re-send
   * timer, else every upload would look unanswered and go twice. When a wait goes unanswered
   * (no consumer, or one holding back a batch) nothing waits again until an ack comes.
   */
  const awaitAck = async () => {
    const behind = () => {
      const s = call<{ ackSeq: number }>('status'), t = call<{ sentThrough: number }>('telemetryStats');
      return !!s?.ok && !!t?.ok && s.value.ackSeq < t.value.sentThrough;
    };
    let came = false, lastAck = Date.now();
    // An ack may bring the next window (Telemetry.acked): wait until everything sent is acknowledged,
    // a second at most since the last ack came, three in all.
    for (const t0 = lastAck; answered !== false && port?.connected() && behind() && Date.now() - t0 < 3000 && Date.now() - lastAck < 1000;) {
      if (inboxHas(ackTopic)) { came = true; lastAck = Date.now(); await pumpNet(); } else await new Promise((r) => setTimeout(r, 5));
    }
    if (!came && behind()) answered = false;
  };
  const idleWake = (): number | null => {
    const r = call<{ wakeS: number | null }>('idle');
    return r && r.ok && r.value.wakeS !== null ? Math.max(FIRMWARE_TICK_S, r.value.wakeS) : null;
  };

  await boot();
  let i = 0;
  for (const e of sc.events) {
    i++;
    opts.onProgress?.(i, sc.events.length);
    await opts.beforeEvent?.(i - 1);
    await waitUntil(e.at);
    if (!vm && !(e.kind === 'power' && e.mode === 'cut')) await boot();
    switch (e.kind) {
      case 'txn': txn(e); break;
      case 'fix': hal.fix = e.fix ? { ...e.fix, monoMs: hal.clock.monoMs() } : null; hal.fixLive = !e.frozen; break;
      case 'clock':
        if (e.sync) { hal.skewMs = 0; hal.frozenWallMs = null; call('clockSync'); emit({ event: 'clock', sync: true }); }
        else if (e.freeze !== undefined) { hal.frozenWallMs = e.freeze ? hal.clock.wallMs() : null; emit({ event: 'clock', freeze: e.freeze }); }
        else { hal.skewMs += (e.jumpS ?? 0) * 1000; emit({ event: 'clock', jumpS: e.jumpS }); }
        break;
      case 'network':
        linkUp = e.up;
        emit({ event: 'network', up: e.up });
        if (vm) vm.event({ t: 'net.state', up: e.up && !!net });
        break;
      case 'power':
        if (e.mode === 'cut') { if (vm) down('power-cut'); else emit({ event: 'power', state: 'already off' }); }
        else if (e.mode === 'restart') {
          call('shutdown');
          if (vm) { heapPeak = Math.max(heapPeak, vm.heapPeakBytes); vm.dispose(); vm = null; }
          if (port) { if (net) await net.settle(); port.end(false); port = null; }
          bootReason = 'restart'; await boot();
        }
        else { armedCut = { atWrite: e.atWrite ?? 1, midWrite: e.midWrite !== false }; emit({ event: 'power', state: 'armed', atWrite: e.atWrite }); }
        break;
      case 'heap': hal.heapFreeOverride = e.freeBytes; break;
      case 'storage': hal.storageFreeOverride = e.freeBytes; break;
      case 'settle': settle(e.hostTotals); break;
      case 'cmd': await command(e.cmd); break;
      case 'signer': hal.faults.signerDown = !e.up; emit({ event: 'signer', up: e.up }); break;
      case 'fault':
        hal.faults.writeError = e.fault === 'write-error'; hal.faults.shortWrite = e.fault === 'short-write';
        emit({ event: 'fault', fault: e.fault });
        break;
      case 'policy': {
        const r = call<any>('installPolicy', { cose: toHex(signPolicy(e.policy, op.operator, sc.start.timeMs)) });
        if (r) emit({ event: 'policy', accepted: r.ok, version: r.ok ? r.value.version : undefined, why: r.ok ? undefined : r.error });
        readTz();
        break;
      }
    }
    if (vm) call('idle');
    if (net && vm) await pumpNet();
    for (const a of alerts.splice(0)) emit(a);
  }
  if (!vm) await boot();

  call('shutdown');
  // Let the last seal's batch reach the backend and its ack come back, as a terminal waits a
  // moment at shutdown (bounded: a dead link must not hang the run).
  for (let i = 0; net && vm && linkUp && i < 20; i++) {
    call('idle'); await pumpNet();
    const s = call<any>('status');
    if (!s || !s.ok || s.value.ackSeq >= s.value.sealedSeq) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const a of alerts.splice(0)) emit(a);
  const st = call<any>('status');
  const tel = call<any>('telemetryStats');
  if (vm) { heapPeak = Math.max(heapPeak, (vm as DeviceVM).heapPeakBytes); (vm as DeviceVM).dispose(); vm = null; }
  if (port) { if (net) await net.settle(); (port as Port).end(false); port = null; }
  const verdicts: Record<string, number> = {}, reasons: Record<string, number> = {}, outcomes: Record<string, number> = {};
  for (const l of lines) {
    if (l.event === 'decision') { verdicts[l.verdict as string] = (verdicts[l.verdict as string] ?? 0) + 1; for (const r of l.reasons as string[]) reasons[r] = (reasons[r] ?? 0) + 1; }
    if (l.event === 'result') { outcomes[l.outcome as string] = (outcomes[l.outcome as string] ?? 0) + 1; for (const r of l.reasons as string[]) reasons[r] = (reasons[r] ?? 0) + 1; }
    if (l.event === 'settlement') for (const r of (l.reasons as string[] | undefined) ?? []) reasons[r] = (reasons[r] ?? 0) + 1;
  }
  const s = st && st.ok ? st.value : null;
  const summary: Line = {
    event: 'summary', scenario: sc.name, dev: sc.device.id, verdicts, outcomes, reasons,
    journal: s ? { entries: s.seq, sealedThrough: s.sealedSeq, acknowledgedThrough: s.ackSeq, batch: s.batch, reversalsPending: s.reversals.length } : null,
    // Counted on the wire over every boot of the run (issue 19); the agent's own counters cover its last boot only.
    telemetry: telemetrySummary(net, tel && tel.ok ? tel.value : null, lines.filter((l) => l.event === 'boot' && l.ok).length),
    broker: net ? { url: net.url, ...net.reachability() } : null,
    unacked: s?.unacked ?? null,
    heapPeakBytes: heapPeak,
  };
  emit(summary);
  return { lines, summary, hal };
}

