// `preflight fleet ...` (SPEC §2, §7): `consume` runs the fleet consumer with a live view or JSON
// lines; `report` says why a terminal's transactions were denied on a day.

import { parseArgs } from 'node:util';
import { startConsumer, type ConsumeOptions } from '../fleet/run';
import { LiveView } from '../fleet/view';
import { denialReport, deviceToday, renderReport } from '../fleet/report';
import { Store } from '../fleet/store';
import type { FleetEvent } from '../fleet/consumer';
import { colours } from '../node/term';
import { UsageError } from '../node/errors';
import { int, JSON_OPT, LANG_OPT, need, str, type Command, type Parsed } from './command';

type Values = Record<string, string | boolean | undefined>;

/** `fleet consume` flags as consumer options (exported for harnesses that add fault knobs). */
export function parseConsumeArgs(argv: string[]): ConsumeOptions & { json: boolean; onceIdleMs?: number } {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [k, o] of Object.entries(CONSUME.options)) options[k] = { type: o.type };
  let v: Values;
  try { v = parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as Values; } catch (e) { throw new UsageError((e as Error).message); }
  return consumeOptions(v);
}

function consumeOptions(v: Values): ConsumeOptions & { json: boolean; onceIdleMs?: number } {
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

async function consume({ values }: Parsed): Promise<number> {
  const o = consumeOptions(values);
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

function report({ values: v }: Parsed): number {
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

const CONSUME: Command = {
  name: 'fleet consume',
  summary: 'The fleet consumer (SPEC §7): verifies every journal batch against the registry, stores what verifies, acknowledges it with the backend key, and shows the fleet live (or as JSON lines).',
  options: {
    broker: { type: 'string', arg: 'URL', help: 'mqtt://HOST:PORT, or nats://H:P[,nats://..] for a JetStream durable consumer', required: true },
    registry: { type: 'string', arg: 'DIR', help: 'one DEV.pub per enrolled terminal; others are alerted, never stored', required: true },
    db: { type: 'string', arg: 'FILE', help: 'the store (SQLite file, default preflight-fleet.sqlite); consumers may share it' },
    'backend-key': { type: 'string', arg: 'K.key', help: 'signs acknowledgements; without it nothing is acknowledged' },
    share: { type: 'string', arg: 'GROUP', help: 'MQTT 5 shared subscription group, or the JetStream durable name' },
    json: JSON_OPT,
    'once-idle-ms': { type: 'string', arg: 'N', help: 'exit after N ms without a message' },
    'client-id': { type: 'string', arg: 'ID', help: 'MQTT client id (keep it across restarts: the session holds unacked messages)' },
    'ack-broker': { type: 'string', arg: 'URL', help: 'with NATS: send acks over this MQTT gateway instead' },
    stream: { type: 'string', arg: 'NAME', help: 'JetStream stream name (default PREFLIGHT)' },
    replicas: { type: 'string', arg: 'N', help: 'JetStream stream replicas when it is created' },
    'ack-wait-ms': { type: 'string', arg: 'N', help: 'JetStream redelivery wait' },
  },
  example: 'preflight fleet consume --broker mqtt://127.0.0.1:1883 --registry fleet/registry --db fleet.sqlite --backend-key keys/backend.key',
  run: consume,
};

export const FLEET: Command[] = [CONSUME, {
  name: 'fleet report',
  summary: 'Why a terminal\'s transactions were denied or flagged on a day: counts per reason with the message and what to do.',
  options: {
    db: { type: 'string', arg: 'FILE', help: 'the fleet store', required: true },
    dev: { type: 'string', arg: 'DEV', help: 'the device id', required: true },
    date: { type: 'string', arg: 'YYYY-MM-DD', help: 'the shop\'s local date (default: today there)' },
    lang: LANG_OPT, json: JSON_OPT,
  },
  example: 'preflight fleet report --db fleet.sqlite --dev T-0001 --date 2026-03-02 --lang en',
  run: report,
}];
