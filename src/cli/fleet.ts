// `preflight fleet ...` (SPEC §2, §7): `consume` runs the fleet consumer with a live view or JSON
// lines; `report` says why a terminal's transactions were denied on a day. Bad usage throws
// UsageError (the CLI prints one line and exits 2); argv is what follows the word `fleet`.

import { parseArgs } from 'node:util';
import { startConsumer, type ConsumeOptions } from '../fleet/run';
import { LiveView } from '../fleet/view';
import { denialReport, deviceToday, renderReport } from '../fleet/report';
import { Store } from '../fleet/store';
import type { FleetEvent } from '../fleet/consumer';
import { colours } from '../node/term';
import { UsageError } from '../node/errors';

export const FLEET_HELP = `usage:
  preflight fleet consume --broker URL --registry DIR [--db FILE] [--backend-key K.key] [--share GROUP]
                          [--json] [--once-idle-ms N] [--client-id ID]
                          [--ack-broker mqtt://HOST:PORT] [--stream NAME] [--replicas N] [--ack-wait-ms N]
  preflight fleet report --db FILE --dev DEV [--date YYYY-MM-DD] [--lang zh|en] [--json]

  --broker mqtt://HOST:PORT        one MQTT broker (3.1.1; MQTT 5 with --share GROUP: shared subscription)
  --broker nats://H:P[,nats://..]  a NATS JetStream durable consumer (durable name: --share, default preflight-fleet)
  --registry DIR                   one DEV.pub per provisioned terminal; others are alerted, never stored
  --db FILE                        SQLite file, default preflight-fleet.sqlite; consumers may share it
  --backend-key K.key              signs acknowledgements; without it nothing is acknowledged
  --once-idle-ms N                 exit after N ms without a message
`;

type Values = Record<string, string | boolean | undefined>;

function args(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>): Values {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: false, strict: true });
    return r.values as Values;
  } catch (e) { throw new UsageError((e as Error).message); }
}
const need = (v: Values[string], flag: string): string => {
  if (typeof v !== 'string' || !v) throw new UsageError(`${flag} is required`);
  return v;
};
const str = (v: Values[string]): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: Values[string], flag: string, min: number, max: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${String(v)}"`);
  return n;
};

const CONSUME_OPTS = {
  broker: { type: 'string' }, registry: { type: 'string' }, db: { type: 'string' }, 'backend-key': { type: 'string' },
  share: { type: 'string' }, json: { type: 'boolean' }, 'once-idle-ms': { type: 'string' }, 'client-id': { type: 'string' },
  'ack-broker': { type: 'string' }, stream: { type: 'string' }, replicas: { type: 'string' }, 'ack-wait-ms': { type: 'string' },
} as const;

/** `fleet consume` flags as consumer options (exported for harnesses that add fault knobs). */
export function parseConsumeArgs(argv: string[]): ConsumeOptions & { json: boolean; onceIdleMs?: number } {
  const v = args(argv, CONSUME_OPTS);
  const clientId = str(v['client-id']);
  if (clientId !== undefined && !/^[\w.-]{1,64}$/.test(clientId)) throw new UsageError('--client-id must be 1-64 letters, digits, ., _ or -');
  const stream = str(v.stream);
  if (stream !== undefined && !/^[\w-]{1,64}$/.test(stream)) throw new UsageError('--stream must be 1-64 letters, digits, _ or -');
  return {
    broker: need(v.broker, '--broker'), registry: need(v.registry, '--registry'), db: str(v.db) ?? 'preflight-fleet.sqlite',
    backendKey: str(v['backend-key']), share: str(v.share), clientId, ackBroker: str(v['ack-broker']), stream,
    replicas: int(v.replicas, '--replicas', 1, 5), ackWaitMs: int(v['ack-wait-ms'], '--ack-wait-ms', 100, 3_600_000),
    json: v.json === true, onceIdleMs: int(v['once-idle-ms'], '--once-idle-ms', 1, 86_400_000),
  };
}

async function consume(argv: string[]): Promise<number> {
  const o = parseConsumeArgs(argv);
  const out = process.stdout;
  const line = (x: unknown) => out.write(JSON.stringify(x) + '\n');
  let view: LiveView | null = null;
  const onEvent = (e: FleetEvent) => { if (o.json) line(e); else view?.onEvent(e); };
  const r = await startConsumer({ ...o, onEvent });
  if (!r.ok) throw new UsageError(r.error);
  const run = r.value;
  if (!o.backendKey) process.stderr.write('preflight: no --backend-key: records are stored but never acknowledged, so terminals keep re-sending\n');
  if (o.json) line({ event: 'ready', mode: run.mode, db: o.db, broker: o.broker });
  else view = new LiveView(out, run.store.db, () => run.consumer.counters);
  let stop!: () => void;
  const stopped = new Promise<void>((res) => { stop = res; });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await (o.onceIdleMs !== undefined ? Promise.race([stopped, run.idle(o.onceIdleMs)]) : stopped);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await run.consumer.close();
    view?.stop();
    const summary = { event: 'summary', mode: run.mode, ...run.consumer.counters };
    await run.stop();
    if (o.json) line(summary);
  }
  return 0;
}

function report(argv: string[]): number {
  const v = args(argv, { db: { type: 'string' }, dev: { type: 'string' }, date: { type: 'string' }, lang: { type: 'string' }, json: { type: 'boolean' } });
  const db = need(v.db, '--db'), dev = need(v.dev, '--dev');
  const lang = v.lang ?? 'zh';
  if (lang !== 'zh' && lang !== 'en') throw new UsageError('--lang must be zh or en');
  const date = str(v.date);
  if (date !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date + 'T00:00:00Z')))) throw new UsageError(`--date must be YYYY-MM-DD, got "${date}"`);
  const st = Store.open(db, { mustExist: true });
  if (!st.ok) throw new UsageError(st.error);
  try {
    const r = denialReport(st.value, dev, date ?? deviceToday(st.value, dev), lang);
    if (!r.ok) throw new UsageError(r.error);
    process.stdout.write((v.json ? JSON.stringify(r.value) : renderReport(r.value, colours(process.stdout))) + '\n');
    return 0;
  } finally { st.value.close(); }
}

/** Entry for host-sim/cli.ts: `preflight fleet <argv...>`; resolves to the exit code. */
export async function fleetCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'consume': return consume(rest);
    case 'report': return report(rest);
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(FLEET_HELP);
      return sub === undefined ? 2 : 0;
    default: throw new UsageError(`unknown command "fleet ${sub}"; see preflight fleet --help`);
  }
}
