// The re-send schedule itself (SPEC §7), on the fake HAL's virtual clock: each batch goes out once,
// then one probe batch per backoff step, 30 s doubling to the 15-minute cap, each wait jittered into
// [0.75, 1] of the step; an ack that covers a probe pulls the rest at once and starts the backoff over.
// And the upload window (issue 18): sealed batches wait `uploadEveryS`, unless flushed or at a connect.
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/core/codec/cbor';
import { fakeHal } from '../../src/core/hal/fake';
import { JITTER_FLOOR, RESEND_AFTER_MS, RESEND_MAX_MS, Telemetry, type Outbox } from '../../src/core/telemetry/telemetry';

/** One-entry batches up to the sealed mark; both marks are the test's to move. */
function rig(seed = 7, uploadEveryS = 0) {
  const hal = fakeHal(Date.UTC(2026, 2, 2, 1), seed);
  const outbox: Outbox & { ackSeq: number; sealedSeq: number } = {
    sealedSeq: 0, ackSeq: 0,
    batchFrom: (seq) => (seq > outbox.sealedSeq ? null : { records: [encode({ seq })], lastSeq: seq }),
  };
  const tel = new Telemetry({ hal, cfg: { dev: 'T-B', fleet: 'f' }, outbox, now: () => hal.clock.wallMs(), birth: () => ({}), health: () => ({}),
    settings: () => ({ heartbeatS: 86_400, uploadBatch: 32, uploadEveryS }) });
  const journal = () => hal.sent.filter((m) => m.topic.endsWith('/journal')).length;
  return { hal, outbox, tel, journal };
}

describe('re-send backoff (SPEC §7)', () => {
  it('nobody acknowledges: one probe per step, the steps double to the cap, jittered, in virtual time', () => {
    const { hal, outbox, tel, journal } = rig();
    tel.onBoot();                                   // connected: birth, then the ten batches once
    outbox.sealedSeq = 10; tel.pump();
    expect(journal()).toBe(10);
    const probes: number[] = [];
    let last = journal();
    for (let s = 1; s <= 24 * 3600; s++) {          // a day, one second at a time
      hal.set.advance(1000); tel.pump();
      if (journal() > last) { probes.push(hal.clock.monoMs()); last = journal(); }
    }
    const gaps = probes.map((t, i) => t - (i ? probes[i - 1]! : 0));
    // Every wait is within the jitter band of its step; steps double from 30 s and stop at 15 min.
    let step = RESEND_AFTER_MS;
    for (const [i, g] of gaps.entries()) {
      if (i === 0) { expect(g).toBeLessThanOrEqual(RESEND_AFTER_MS + 1000); continue; }
      expect(g).toBeGreaterThanOrEqual(Math.floor(step * JITTER_FLOOR) - 1000);
      expect(g).toBeLessThanOrEqual(step + 1000);
      step = Math.min(step * 2, RESEND_MAX_MS);
    }
    expect(tel.backoffMs).toBe(RESEND_MAX_MS);
    // The bound a user relies on: one batch per probe, at most 6 probes an hour once capped, under 120 a day.
    expect(probes.length).toBeLessThan(120);
    const lastHour = probes.filter((t) => t > 23 * 3600_000).length;
    expect(lastHour).toBeLessThanOrEqual(6);
    // Jitter: two terminals do not probe in step.
    const b = rig(99); b.tel.onBoot(); b.outbox.sealedSeq = 10; b.tel.pump();
    const times: number[] = []; let n = b.journal();
    for (let s = 1; s <= 3 * 3600; s++) { b.hal.set.advance(1000); b.tel.pump(); if (b.journal() > n) { times.push(b.hal.clock.monoMs()); n = b.journal(); } }
    expect(times.slice(3, 8)).not.toEqual(probes.slice(3, 8));
  });

  it('an ack that covers a probe brings the rest now and starts the backoff over', () => {
    const { hal, outbox, tel, journal } = rig();
    tel.onBoot(); outbox.sealedSeq = 10; tel.pump();
    for (let s = 0; s < 3600; s++) { hal.set.advance(1000); tel.pump(); }
    expect(tel.backoffMs).toBeGreaterThan(RESEND_AFTER_MS);
    // A consumer appears: the next probe (batch 1) is acknowledged.
    const before = journal();
    while (journal() === before) { hal.set.advance(1000); tel.pump(); }
    outbox.ackSeq = 1; tel.acked(1);
    expect(tel.backoffMs).toBe(RESEND_AFTER_MS);
    // The rest (2..10) went out at once, a window, not one probe per backoff step.
    expect(journal() - before).toBe(1 + 9);
    outbox.ackSeq = 10; tel.acked(10);
    expect(tel.nextResendMs).toBeNull();            // nothing waits: no more re-sends
    const settled = journal();
    for (let s = 0; s < 3600; s++) { hal.set.advance(1000); tel.pump(); }
    expect(journal()).toBe(settled);
  });

  it('one birth per connection however often the platform says it is up; a clean shutdown says offline and no birth follows', () => {
    const { hal, tel } = rig();
    const status = () => hal.sent.filter((m) => m.topic.endsWith('/status'));
    tel.onBoot(); tel.onConnect(); tel.onConnect();
    expect(status()).toHaveLength(1);
    tel.onDisconnect(); tel.onConnect();
    expect(status()).toHaveLength(2);
    expect(tel.onShutdown()).toBe(true);
    tel.onConnect();
    expect(status()).toHaveLength(3);
    expect(status()[2]!.retain).toBe(true);
  });
});

describe('the upload window (issue 18: every message costs framing, a PUBACK and a signed ack)', () => {
  it('sealed batches wait uploadEveryS from the first one, then all go in that pump', () => {
    const { hal, outbox, tel, journal } = rig(7, 300);
    tel.onBoot();
    outbox.sealedSeq = 1; tel.pump();
    expect(journal()).toBe(0);
    for (let k = 2; k <= 4; k++) { hal.set.advance(60_000); outbox.sealedSeq = k; tel.pump(); }
    expect(journal()).toBe(0);
    hal.set.advance(119_000); tel.pump();
    expect(journal()).toBe(0);
    hal.set.advance(1_000); tel.pump();             // 300 s since seq 1 was seen sealed
    expect(journal()).toBe(4);
    outbox.sealedSeq = 5; tel.pump();               // the window starts again with the next batch
    expect(journal()).toBe(4);
  });

  it('a flush (a seal not made by the timer) and a connect send what waits at once', () => {
    const { hal, outbox, tel, journal } = rig(7, 300);
    tel.onBoot();
    outbox.sealedSeq = 2; tel.pump();
    tel.flush();
    expect(journal()).toBe(2);
    hal.set.online(false); outbox.sealedSeq = 5; tel.pump(); tel.onDisconnect();
    hal.set.online(true); tel.onConnect();
    expect(journal()).toBe(2 + 1 + 3);              // the connect's probe of the unacknowledged 1, then 3..5 at once
  });
});
