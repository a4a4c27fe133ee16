// `preflight fleet ...` (SPEC §2, §7): `consume` runs the fleet consumer with a live view or JSON
// lines; `report` says why a terminal's transactions were denied on a day; `send` signs and
// publishes one command to one terminal.

import { parseArgs } from 'node:util';
import { startConsumer, type ConsumeOptions } from '../fleet/run';
import { LiveView } from '../fleet/view';
import { denialReport, deviceToday, fleetReport, gapsOf, renderFleetReport, renderReport } from '../fleet/report';
import { openStore, shownDb } from '../fleet/store';
import { fleetExport } from '../fleet/export';
import { fleetServer, isCalendarDate, loadPolicies } from '../fleet/serve';
import { existsSync, statSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import type { FleetEvent } from '../fleet/consumer';
import { commandArgs, parseDuration, sendCommand } from '../fleet/send';
import { verifyExport } from '../core/journal/verify-export';
import { COMMAND_KINDS, CounterDamaged, lastCounter } from '../fleet/commands';
import { FLEET_RE, Registry, registryFleet } from '../fleet/registry';
import { operatorMismatch } from '../fleet/enrol';
import { readSecretKey } from '../node/keys';
import { colours } from '../node/term';
import { CheckFailed, UsageError } from '../node/errors';
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
  if (o.json) line({ event: 'ready', mode: run.mode, db: shownDb(o.db), broker: o.broker });
  else view = new LiveView(out, run.store, () => run.consumer.counters);
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
    await view?.stop();
    const summary = { event: 'summary', mode: run.mode, ...run.consumer.counters };
    await run.stop();
    if (o.json) line(summary);
    // Stopped and summed up: a broker client still retrying a server that is gone (nats.js, mqtt.js
    // reconnect timers) must not keep a stopped consumer alive (systemd's SIGTERM, a test's afterAll).
    setTimeout(() => process.exit(), 1000).unref();
  }
  return 0;
}

async function report({ values: v }: Parsed): Promise<number> {
  const db = need(v.db, '--db'), dev = str(v.dev);
  const lang = v.lang ?? 'zh';
  if (lang !== 'zh' && lang !== 'en') throw new UsageError('--lang must be zh or en');
  const date = str(v.date);
  if (date !== undefined && !isCalendarDate(date)) throw new UsageError(`--date must be a calendar date YYYY-MM-DD, got "${date}"`);
  const st = await openStore(db, { readOnly: true });
  if (!st.ok) throw new UsageError(st.error);
  try {
    const c = colours(process.stdout);
    if (dev === undefined) {
      const f = await fleetReport(st.value, date ?? null, lang);
      process.stdout.write((v.json ? JSON.stringify(f) : renderFleetReport(f, c)) + '\n');
      return 0;
    }
    const r = await denialReport(st.value, dev, date ?? await deviceToday(st.value, dev), lang);
    if (!r.ok) throw new UsageError(r.error);
    process.stdout.write((v.json ? JSON.stringify(r.value) : renderReport(r.value, c)) + '\n');
    return 0;
  } finally { await st.value.close(); }
}

const MQTT_RE = /^mqtts?:\/\/[\w.-]+(:\d+)?$/;

async function send({ values: v, positionals, out }: Parsed): Promise<number> {
  const kind = positionals[0]!;
  const dev = need(v.dev, '--dev'), broker = need(v.broker, '--broker'), registry = need(v.registry, '--registry');
  const args = commandArgs(kind, str(v.args));
  if (!args.ok) throw new UsageError(args.error);
  const validFor = parseDuration(str(v['valid-for']) ?? '10m');
  if (!validFor.ok) throw new UsageError(validFor.error);
  if (!MQTT_RE.test(broker)) throw new UsageError(`--broker must be mqtt://HOST:PORT, got "${broker}"`);
  const reg = Registry.check(registry);
  if (!reg.ok) throw new UsageError(reg.error);
  const pub = reg.value.lookup(dev);
  if (!pub.ok) throw new UsageError(`${pub.error}: enrol it first (\`preflight enrol --data DIR --registry ${registry}\`)`);
  const named = registryFleet(registry, dev);
  if (!named.ok) throw new UsageError(named.error);
  const given = str(v.fleet);
  if (given !== undefined && !FLEET_RE.test(given)) throw new UsageError(`--fleet must be letters, digits, _ or -, got "${given}"`);
  if (given !== undefined && named.value !== null && given !== named.value) throw new UsageError(`--fleet ${given} differs from the registry's fleet ${named.value} for ${dev}`);
  const fleet = named.value ?? given;
  if (!fleet) throw new UsageError(`the registry does not name ${dev}'s fleet: write it to ${registry}/fleet (or ${dev}.fleet), or pass --fleet`);
  const key = readSecretKey(need(v.key, '--key'));
  const mismatch = operatorMismatch(registry, dev, key.pub);
  if (mismatch) throw new UsageError(`--key ${v.key}: ${mismatch}`);
  // The counter first: a damaged counter file is the registry's problem (exit 2), not the broker's.
  try { lastCounter(registry, dev); } catch (e) { if (e instanceof CounterDamaged) throw new UsageError(e.message); throw e; }
  const r = await sendCommand({ broker, registry, key, fleet, dev, kind, args: args.value, validForMs: validFor.value });
  if (!r.ok) throw new CheckFailed(`${r.error} (not sent: the broker did not acknowledge it)`);
  const exp = new Date(Date.now() + validFor.value).toISOString();
  if (v.json) out(JSON.stringify({ event: 'sent', dev, fleet, kind, n: r.value.n, topic: r.value.topic, exp, bytes: r.value.bytes.length }));
  else out(`sent ${kind} to ${dev} (counter ${r.value.n}, valid until ${exp}) on ${r.value.topic}; the broker holds it for the terminal if it is offline`);
  return 0;
}

async function exportCmd({ values: v, out }: Parsed): Promise<number> {
  const db = need(v.db, '--db'), dev = need(v.dev, '--dev'), file = need(v.out, '--out');
  const st = await openStore(db, { readOnly: true });
  if (!st.ok) throw new UsageError(st.error);
  try {
    const r = await fleetExport(st.value, dev);
    if (!r.ok) throw new UsageError(r.error);
    try { writeFileSync(file, r.value.bytes); } catch (e) { throw new UsageError(`--out ${file}: ${(e as NodeJS.ErrnoException).code ?? 'cannot be written'}`); }
    const missing = (await gapsOf(st.value, dev, 'en')).filter((g) => g.cause === 'missing' && g.to !== null && g.to < r.value.lastSeq);
    for (const g of missing) process.stderr.write(`warning: the fleet lacks seq ${g.from}..${g.to} of ${dev}: ${g.why}\n`);
    // The fleet checks its own copy before handing it over: a damaged store must not pass for a journal.
    const check = verifyExport(r.value.bytes, null);
    if (!check.valid) {
      throw new CheckFailed(`the fleet's copy of ${dev} does not verify (record ${check.firstBad?.index}: ${check.firstBad?.reason}); ` +
        (missing.length ? 'it lacks entries the terminal has not re-sent yet' : 'the store is damaged: restore it, or rebuild it from the terminals\' re-sends') + `. ${file} was written for inspection`);
    }
    out(`exported ${r.value.records} records of ${dev} (seq ${r.value.firstSeq}..${r.value.lastSeq}, ${r.value.seals} seals, ${r.value.bytes.length} bytes) to ${file}; check it with \`preflight journal verify ${file} --pub REGISTRY/${dev}.pub\``);
    return 0;
  } finally { await st.value.close(); }
}

async function serve({ values: v, out }: Parsed): Promise<number> {
  const db = need(v.db, '--db');
  const port = int(v.port, '--port', 0, 65535) ?? 8080;
  const host = str(v.host) ?? '127.0.0.1';
  const dir = str(v.policies);
  if (dir !== undefined && !(existsSync(dir) && statSync(dir).isDirectory())) throw new UsageError(`--policies ${dir}: no such folder`);
  const st = await openStore(db, { readOnly: true });
  if (!st.ok) throw new UsageError(st.error);
  const policies = loadPolicies(dir);
  const server = fleetServer({ store: st.value, policies });
  try {
    await new Promise<void>((res, rej) => { server.once('error', rej); server.listen(port, host, () => res()); });
  } catch (e) { await st.value.close(); throw new UsageError(`cannot listen on ${host}:${port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  const a = server.address();
  const url = `http://${host}:${typeof a === 'object' && a ? a.port : port}/`;
  if (v.json) out(JSON.stringify({ event: 'ready', url, db: shownDb(db), policies: policies.size }));
  else out(`serving the fleet in ${shownDb(db)} at ${url} (${policies.size} signed policies known); Ctrl-C stops`);
  await new Promise<void>((res) => { process.once('SIGINT', res); process.once('SIGTERM', res); });
  await new Promise<void>((res) => server.close(() => res()));
  server.closeAllConnections?.();
  await st.value.close();
  return 0;
}

const CONSUME: Command = {
  name: 'fleet consume',
  summary: 'The fleet consumer (SPEC §7): verifies every journal batch against the registry, stores what verifies, acknowledges it with the backend key, and shows the fleet live (or as JSON lines).',
  options: {
    broker: { type: 'string', arg: 'URL', help: 'mqtt://HOST:PORT, or nats://H:P[,nats://..] for a JetStream durable consumer', required: true },
    registry: { type: 'string', arg: 'DIR', help: 'one DEV.pub per enrolled terminal; others are alerted, never stored', required: true },
    db: { type: 'string', arg: 'FILE|URL', help: 'the store: a SQLite file (default preflight-fleet.sqlite; consumers on one machine may share it) or postgres://USER@HOST:PORT/DB (consumers on several machines share it)' },
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

const SEND: Command = {
  name: 'fleet send', args: 'KIND',
  summary: `Signs one command (SPEC §6) with the operator key and the next counter for the device (kept in REGISTRY/DEV.cmd) and publishes it QoS 1 on the device's cmd topic; a terminal that is offline gets it when it next connects. KIND: ${COMMAND_KINDS.join(', ')}. Exit 1 if the broker does not acknowledge it.`,
  options: {
    dev: { type: 'string', arg: 'DEV', help: 'the device id (enrolled: REGISTRY/DEV.pub)', required: true },
    broker: { type: 'string', arg: 'URL', help: 'mqtt://HOST:PORT', required: true },
    registry: { type: 'string', arg: 'DIR', help: 'the fleet registry; names the fleet in DEV.fleet or fleet, and keeps the counter', required: true },
    key: { type: 'string', arg: 'OPERATOR.key', help: 'the operator\'s secret key (the one the terminal\'s image trusts; refused if enrolment recorded another)', required: true },
    args: { type: 'string', arg: 'JSON', help: 'the kind\'s arguments: lock {"why"}, hours-extend {"until": ISO time} or {"untilMs"}, resend {"fromSeq"}, policy {"policy": "P.cose"}, image-update {"manifestSha512","version"}' },
    'valid-for': { type: 'string', arg: 'DURATION', help: 'how long the terminal may accept it: 90s, 10m, 2h, 1d (default 10m)' },
    fleet: { type: 'string', arg: 'NAME', help: 'the device\'s fleet when the registry does not name it' },
    json: JSON_OPT,
  },
  example: 'preflight fleet send lock --dev T-0001 --broker mqtt://127.0.0.1:1883 --registry fleet/registry --key keys/operator.key --args \'{"why":"stolen"}\'',
  run: send,
};

const EXPORT: Command = {
  name: 'fleet export',
  summary: 'The fleet\'s stored copy of one terminal\'s journal as an export (SPEC §6): the header, then every verified entry and seal as the terminal sent them, so it is byte for byte the terminal\'s own `journal export` of the same range and `journal verify --pub DEV.pub` accepts it.',
  options: {
    db: { type: 'string', arg: 'FILE|URL', help: 'the fleet store: a SQLite file or postgres://USER@HOST:PORT/DB', required: true },
    dev: { type: 'string', arg: 'DEV', help: 'the device id', required: true },
    out: { type: 'string', arg: 'FILE', help: 'where the export goes', required: true },
  },
  example: 'preflight fleet export --db fleet.sqlite --dev T-0001 --out T-0001.fleet.cbor',
  run: exportCmd,
};

const SERVE: Command = {
  name: 'fleet serve',
  summary: 'A web page of the fleet, rendered on the server: terminals (online, last seen, ack lag, open alerts), open alerts, gaps, and one terminal\'s day (decisions on its opening hours, track against its geofence), all in the shop\'s local time, zh or en (?lang=). JSON under /api/terminals, /api/alerts, /api/gaps, /api/terminals/DEV/day?date=YYYY-MM-DD.',
  options: {
    db: { type: 'string', arg: 'FILE|URL', help: 'the fleet store: a SQLite file or postgres://USER@HOST:PORT/DB', required: true },
    port: { type: 'string', arg: 'N', help: 'TCP port (default 8080; 0 picks a free one)' },
    host: { type: 'string', arg: 'ADDR', help: 'address to listen on (default 127.0.0.1)' },
    policies: { type: 'string', arg: 'DIR', help: 'signed policies (.cose); a terminal\'s is found by the digest it journaled, for its hours and geofence' },
    json: { type: 'boolean', help: 'print the ready line as JSON' },
  },
  example: 'preflight fleet serve --db fleet.sqlite --port 8080 --policies policies/',
  run: serve,
};

export const FLEET: Command[] = [CONSUME, SEND, EXPORT, SERVE, {
  name: 'fleet report',
  summary: 'Why sales were denied or flagged on a day, from verified journal entries only: for one terminal, counts per reason with the message and what to do, each transaction (ref, shop-local time with offset, amount, reasons), live previews marked unverified, and the gaps in the fleet\'s copy with their cause (not enrolled, damaged, missing, not received, unacknowledged); without --dev, one row per terminal.',
  options: {
    db: { type: 'string', arg: 'FILE|URL', help: 'the fleet store: a SQLite file or postgres://USER@HOST:PORT/DB', required: true },
    dev: { type: 'string', arg: 'DEV', help: 'one terminal (default: the whole fleet, a row per terminal)' },
    date: { type: 'string', arg: 'YYYY-MM-DD', help: 'the shop\'s local date (default: today there, per terminal)' },
    lang: LANG_OPT, json: JSON_OPT,
  },
  example: 'preflight fleet report --db fleet.sqlite --dev T-0001 --date 2026-03-02 --lang en',
  run: report,
}];
