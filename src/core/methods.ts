// The methods a payment app and the firmware call through `agent.call(method, json)` (SPEC §1).
// device/README.md documents them; this table is authoritative. Nothing here measures or writes
// test data: the bench bundle (bench/agent-bench.ts) adds its hooks to a copy of this table.
// There is no journal export here: a whole journal (megabytes of flash) does not fit a terminal's
// heap as one hex string; the host reads the flash itself (`preflight journal export --data DIR`).

import { hexArg, type Method } from './boundary';
import { runHalContract } from './hal/contract';
import { selftest } from './selftest';
import { ok } from './util/result';

export const METHODS: Record<string, Method> = {
  preflight: (a, x) => ok(a.tx.preflight(x)),
  answer: (a, x) => a.tx.answer(String(x?.ref), x?.answer ?? {}),
  nextReversal: (a) => ok(a.reversals.next()),
  reversalAnswer: (a, x) => a.reversals.answer(String(x?.ref), x?.answer ?? {}),
  settleBegin: (a) => a.settlement.begin(),
  settleCompare: (a, x) => a.settlement.compare(x?.host ?? {}),
  settleUploaded: (a) => a.settlement.uploaded(),
  settleClose: (a) => a.settlement.close(),
  clockSync: (a) => { a.tx.clockSync(); return ok(null); },
  idle: (a) => ok(a.idle()),
  seal: (a) => ok({ sealed: a.sealing.sealNow() }),
  shutdown: (a) => { a.shutdown(); return ok(null); },
  status: (a) => ok({ ...a.status(), unacked: a.telemetry.waiting() }),
  installPolicy: (a, x) => a.policy.install(hexArg(x?.cose, 'cose')),
  command: (a, x) => { const c = a.command(hexArg(x?.cose, 'cose')); return ok({ accepted: c.accepted, why: c.why }); },
  ack: (a, x) => { const r = a.ack(hexArg(x?.cose, 'cose')); return ok(r.ok ? { ok: true } : { ok: false, why: r.why }); },
  telemetryStats: (a) => ok({ ...a.telemetry.published, sentThrough: a.telemetry.sentThrough, resends: a.telemetry.resends, backoffS: Math.round(a.telemetry.backoffMs / 1000) }),
  selftest: () => ok(selftest()),
  halContract: (a) => ok(runHalContract(a.hal)),
  rotateKey: (a) => a.sealing.rotateKey(),
};

