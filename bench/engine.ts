// What SPEC §8 measures inside the engine, for one engine (QuickJS or quickjs-ng): the heap right
// after the bundle is evaluated (with the engine's own breakdown), decision latency, seal, sign and
// verify against tweetnacl in the same VM, and the heap over 10,000 transactions under a hard limit.

import type { Engine } from '../host-sim/vm/vm';
import { BENCH_BUNDLE, approve, kb, median, must, now, pct, round, sale, SALE, settle, terminal, type Terminal } from './rig';

export interface EngineFigures { results: Record<string, number>; notes: Record<string, string> }

/** The engine's heap account (JS_ComputeMemoryUsage) as "what KB" pairs, largest first. */
function breakdown(u: Record<string, number>): string {
  const parts: [string, number][] = [
    ['bytecode functions', u.js_func_size ?? 0], ['of which bytecode', u.js_func_code_size ?? 0], ['of which line tables', u.js_func_pc2line_size ?? 0],
    ['atoms', u.atom_size ?? 0], ['objects', u.obj_size ?? 0], ['properties', u.prop_size ?? 0], ['shapes', u.shape_size ?? 0],
    ['strings', u.str_size ?? 0], ['typed arrays', u.binary_object_size ?? 0],
  ];
  return `${kb(u.memory_used_size ?? 0)} KB in use: ` + parts.map(([w, b]) => `${w} ${kb(b)} KB`).join(', ') +
    ` (${u.atom_count} atoms, ${u.js_func_count} functions, ${u.obj_count} objects)`;
}

/** Decisions timed from the host around vm.call('preflight'): checks, entry, durable append, JSON both ways. */
function decisions(t: Terminal, n: number, withIdle: boolean, tag: string): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    t.hal.advance(2000);
    const t0 = now();
    const d = must<any>(t.vm.call('preflight', { ref: `${tag}${i}`, ...SALE }));
    times.push(now() - t0);
    must(t.vm.call('answer', { ref: `${tag}${i}`, answer: approve(d.request) }));
    if (withIdle) must(t.vm.call('idle'));
    else if (i % 16 === 15) must(t.vm.call('seal'));
    if (i % 450 === 449) settle(t);
  }
  return times;
}

export async function measureEngine(engine: Engine, o: { heapPeakGoalBytes: number }): Promise<EngineFigures> {
  const sfx = engine === 'quickjs' ? '' : '_ng';
  const results: Record<string, number> = {};
  const notes: Record<string, string> = {};

  // Heap right after the bundle is evaluated, and after the first boot.
  {
    const t = await terminal(engine);
    results[`heap_after_eval_kb${sfx}`] = kb(t.afterEvalBytes);
    results[`heap_after_boot_kb${sfx}`] = kb(t.vm.measure());
    t.end();
    const again = await terminal(engine);
    notes[`heap_after_eval${sfx}`] = 'after boot: ' + breakdown(again.vm.memoryUsage());
    again.end();
  }

  // Decisions: 2,000 sales after 200 warm-up, idle() between (untimed) as between customers; then 400 without.
  {
    const t = await terminal(engine);
    for (let i = 0; i < 200; i++) sale(t, `W${i}`);
    must(t.vm.call('seal'));
    settle(t);
    t.vm.watchHeap = false;
    const withIdle = decisions(t, 2000, true, 'P');
    settle(t);
    const raw = decisions(t, 400, false, 'R');
    results[`preflight_us_p50${sfx}`] = round(median(withIdle) * 1000, 1);
    results[`preflight_us_p99${sfx}`] = round(pct(withIdle, 99) * 1000, 1);
    results[`preflight_us_p99_no_idle${sfx}`] = round(pct(raw, 99) * 1000, 1);
    t.end();
  }

  // Seal, sign and verify: ours and tweetnacl's in the same VM (the bench bundle's cryptoLoop).
  {
    const t = await terminal(engine, { bundle: BENCH_BUNDLE });
    if (!sfx) {
      const n = 2000, t0 = now();
      must(t.vm.call('benchAppend', { n }));
      results.append_us = round(((now() - t0) / n) * 1000, 1);
    }
    const seals: number[] = [];
    for (let i = 0; i < 30; i++) { sale(t, `SL${i}`, false); const s0 = now(); must(t.vm.call('seal')); seals.push(now() - s0); }
    results[`seal_ms${sfx}`] = round(median(seals));
    // The median of k single operations, the same statistic on both sides of each ratio (and as seal_ms).
    const loop = (op: string, impl: string, k: number) => {
      const times: number[] = [];
      for (let i = 0; i < k; i++) { const a = now(); must(t.vm.call('cryptoLoop', { op, impl, n: 1 })); times.push(now() - a); }
      return median(times);
    };
    loop('sign', 'ours', 3);   // warm-up, and the fixture is made here, untimed
    results[`sign_ms${sfx}`] = round(loop('sign', 'ours', 50));
    results[`seal_tweetnacl_ms${sfx}`] = round(loop('sign', 'tweetnacl', 9));
    results[`verify_ms${sfx}`] = round(loop('verify', 'ours', 30));
    results[`verify_tweetnacl_ms${sfx}`] = round(loop('verify', 'tweetnacl', 7));
    results[`sign_speedup_x${sfx}`] = round(results[`seal_tweetnacl_ms${sfx}`]! / results[`sign_ms${sfx}`]!, 1);
    results[`verify_speedup_x${sfx}`] = round(results[`verify_tweetnacl_ms${sfx}`]! / results[`verify_ms${sfx}`]!, 1);
    t.end();
  }

  // The heap over 10,000 transactions (idle every 16, settlement every 450), read after every call,
  // with the engine's hard limit at the goal: an allocation past it inside any call ends the run.
  {
    const t = await terminal(engine);
    t.vm.setHardLimit(o.heapPeakGoalBytes);
    const marks: number[] = [];
    let failedAt = -1;
    try {
      for (let i = 0; i < 10_000; i++) {
        sale(t, `H${i}`);
        if (i % 16 === 15) must(t.vm.call('idle'));
        if (i % 450 === 449) settle(t);
        if (i % 1000 === 999) marks.push(t.vm.heapUsedBytes);
      }
    } catch (e) { failedAt = marks.length * 1000; notes[`heap${sfx}`] = `stopped near txn ${failedAt}: ${(e as Error).message}`; }
    results[`heap_peak_kb${sfx}`] = kb(t.vm.heapPeakBytes);
    results[`heap_hard_limit_kb${sfx}`] = failedAt < 0 ? kb(o.heapPeakGoalBytes) : 0;
    if (failedAt < 0) {
      notes[`heap${sfx}`] = `10,000 txns under a hard engine limit of ${kb(o.heapPeakGoalBytes)} KB; heap after each 1,000 (KB): ${marks.map(kb).join(', ')}; at the end: ${breakdown(t.vm.memoryUsage())}`;
    }
    t.end();
  }
  return { results, notes };
}
