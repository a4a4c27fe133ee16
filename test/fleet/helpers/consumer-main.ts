// A consumer process for the fleet tests: `fleet consume` flags, plus a fault knob a real crash
// needs (PF_KILL_AFTER_COMMITS=N: SIGKILL itself right after the Nth commit, before any ack).
import { parseConsumeArgs } from '../../../src/cli/fleet';
import { startConsumer } from '../../../src/fleet/run';

const o = parseConsumeArgs(process.argv.slice(2));
const killAfter = Number(process.env.PF_KILL_AFTER_COMMITS ?? 0);
const r = await startConsumer({
  ...o,
  afterCommit: killAfter ? (n) => { if (n >= killAfter) process.kill(process.pid, 'SIGKILL'); } : undefined,
  onEvent: o.json ? (e) => { if (e.event !== 'batch' && e.event !== 'ack') process.stdout.write(JSON.stringify(e) + '\n'); } : undefined,
});
if (!r.ok) { process.stderr.write(r.error + '\n'); process.exit(2); }
process.stdout.write(JSON.stringify({ event: 'ready', mode: r.value.mode }) + '\n');
const stop = new Promise<void>((res) => process.once('SIGTERM', () => res()));
await Promise.race([stop, r.value.idle(o.onceIdleMs ?? 2_000)]);
await r.value.consumer.close();
const cpu = process.cpuUsage();
const summary = { event: 'summary', pid: process.pid, cpuMs: Math.round((cpu.user + cpu.system) / 1000), ...r.value.consumer.counters };
await r.value.stop();
process.stdout.write(JSON.stringify(summary) + '\n');
