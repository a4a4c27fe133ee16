// Seals and the device key (SPEC §6): a seal covers every entry up to the last one, is made off the
// decision path (when due, before uploads, at settlement, at shutdown), and survives a signer that
// fails (a `signer` entry records the outage; the next seal covers what went unsealed). Key
// rotation journals the new key, lets the old key seal that entry, and only then switches.

import { commitRotation, loadOrCreateKey, prepareRotation, type DeviceKey } from '../crypto/device-key';
import { keepRotationProof } from '../journal/export';
import { rec } from '../journal/records';
import { fromHex, toHex } from '../util/bytes';
import { fail, ok, type Result } from '../util/result';
import type { Context } from './context';

export const DEFAULT_SEALING = { maxUnsealedEntries: 16, maxUnsealedS: 60 };

export class Sealing {
  key!: DeviceKey;
  /** Told after every seal that succeeded: `now` unless the timer made it (telemetry then sends at once, else at the end of its upload window). */
  onSealed: (now: boolean) => void = () => {};

  constructor(private ctx: Context) {}

  /** The device key from the keystore, made at first boot (SPEC §6). */
  loadKey(): Result<{ created: boolean }> {
    const k = loadOrCreateKey(this.ctx.hal);
    if (!k.ok) return k;
    this.key = k.value;
    return ok({ created: k.value.created });
  }

  /** Seals when `sealing` says it is due: enough entries, or the oldest unsealed one old enough. */
  sealIfDue(s: { maxUnsealedEntries: number; maxUnsealedS: number }): boolean {
    const j = this.ctx.journal;
    const due = j.unsealed >= s.maxUnsealedEntries || (j.unsealed > 0 && this.ctx.now() - j.oldestUnsealedT >= s.maxUnsealedS * 1000);
    return due ? this.sealNow(false) : false;
  }

  /** Ms until `sealIfDue` seals by age (a failed signer is retried once a period, not hammered); Infinity while nothing is unsealed. */
  dueInMs(s: { maxUnsealedS: number }): number {
    const j = this.ctx.journal, p = s.maxUnsealedS * 1000;
    return !j.unsealed ? Infinity : j.ledger.signerFailed ? p : Math.max(0, j.oldestUnsealedT + p - this.ctx.now());
  }

  /** Seals now. Journals signer failure (once) and recovery. `upload`: the seal goes out at once (not the timer's). */
  sealNow(upload = true): boolean {
    const j = this.ctx.journal;
    if (j.unsealed === 0) { if (upload) this.onSealed(true); return true; }   // sealed already: what waits goes now
    // The old key must not seal past its own rotation: finish the switch first or count it a failure.
    if (this.rotationSealed()) this.finishRotation();
    const r = this.rotationSealed() ? fail('key rotation could not finish') : j.seal(this.key, this.ctx.now());
    if (!r.ok) {
      if (!j.ledger.signerFailed) {
        // RKSV "Sicherheitseinrichtung ausgefallen": entries go on unsealed, the outage is on record.
        const seq = this.ctx.record(rec.signer({ state: 'failed', why: r.error, unsealedFrom: j.sealedSeq + 1 }));
        this.ctx.alert('SIGNER_FAILED', { why: r.error }, seq);
      }
      return false;
    }
    if (j.ledger.signerFailed) {
      this.ctx.record(rec.signer({ state: 'recovered', sealedThrough: r.value.seq }));
      j.seal(this.key, this.ctx.now());
    }
    // The seal just made may cover a key-rotate entry: switch, and seal the switch with the new key.
    if (this.finishRotation()) j.seal(this.key, this.ctx.now());
    this.onSealed(upload);
    return true;
  }

  /** Key rotation (SPEC §6), step 1: the next key made and journaled, then sealed by the old key. */
  rotateKey(): Result<{ newPub: string }> {
    if (this.ctx.journal.ledger.keyRotation) return fail('a rotation is already under way');
    const next = prepareRotation(this.ctx.hal);
    if (!next.ok) return next;
    if (this.ctx.record(rec.keyRotate(toHex(next.value), toHex(this.key.pub))) === null) return fail('journal refused the rotation');
    this.sealNow();
    return ok({ newPub: toHex(next.value) });
  }

  /** True once the old key has sealed a key-rotate entry: from then on only the new key may seal. */
  private rotationSealed(): boolean {
    const kr = this.ctx.journal.ledger.keyRotation;
    return !!kr && this.ctx.journal.sealedSeq >= kr.seq;
  }

  /** Switches to the new key once the old one sealed the change; true when it switched now. */
  finishRotation(): boolean {
    const kr = this.ctx.journal.ledger.keyRotation;
    if (!kr || !this.rotationSealed()) return false;               // nothing to finish, or not sealed yet
    if (toHex(this.key.pub) !== kr.newPub) {
      const pub = fromHex(kr.newPub);
      const c = pub ? commitRotation(this.ctx.hal, pub) : fail('bad newPub');
      if (!c.ok) { this.ctx.hal.log(3, `key rotation: ${c.error}`); return false; }
      this.key = c.value;
    }
    // The proof outlives compaction, so an export can show the rotation to an auditor (SPEC §6).
    const proof = this.ctx.journal.sealedEntry(kr.seq);
    if (proof) keepRotationProof(this.ctx.hal, proof);
    const seq = this.ctx.record(rec.keyRotated(kr.newPub));
    this.ctx.alert('KEY_ROTATED', { pub: kr.newPub }, seq);
    return true;
  }
}
