// Broker processes for the fleet tests: a Mosquitto 2 (MQTT 5, shared subscriptions) or a NATS
// cluster with JetStream and its MQTT gateway, each on free loopback ports with its own config and
// data folder, never the system's 1883/4222. Callers stop them in afterAll.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The kernel's ephemeral range: outgoing connections (a load test opens thousands) take ports from it. */
function ephemeral(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi) return [lo, hi];
  } catch { /* not Linux */ }
  return [32768, 60999];
}
const taken = new Set<number>();

/**
 * A loopback port that is free now and outside the ephemeral range, so a client's outgoing
 * connection in another test cannot grab it between this check and the broker's bind.
 */
export async function freePort(): Promise<number> {
  const [lo] = ephemeral();
  const from = 10_000, to = Math.max(from + 1000, lo - 1);
  for (let i = 0; i < 200; i++) {
    const p = from + Math.floor(Math.random() * (to - from));
    if (taken.has(p)) continue;
    const ok = await new Promise<boolean>((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen(p, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (ok) { taken.add(p); return p; }
  }
  throw new Error('no free loopback port found');
}

/** Starts a server process on ports picked by `start`, again with new ports if one was taken after all. */
async function withRetry<T>(what: string, start: () => Promise<T>, attempts = 4): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try { return await start(); } catch (e) { last = e; }
  }
  throw new Error(`${what} did not start after ${attempts} attempts: ${(last as Error)?.message}`);
}

export async function waitPort(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const okNow = await new Promise<boolean>((res) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); res(true); });
      c.once('error', () => res(false));
    });
    if (okNow) return;
    if (Date.now() > end) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Proc { child: ChildProcess; log: string; kill(signal?: NodeJS.Signals): Promise<void> }

function run(bin: string, argv: string[], log: string): Proc {
  const fd = openSync(log, 'a');
  const child = spawn(bin, argv, { stdio: ['ignore', fd, fd] });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  return {
    child, log,
    async kill(signal = 'SIGTERM') { if (child.exitCode === null && child.signalCode === null) { child.kill(signal); await exited; } },
  };
}

export interface Mosquitto { url: string; port: number; dir: string; proc: Proc; stop(): Promise<void> }

export const startMosquitto = (): Promise<Mosquitto> => withRetry('mosquitto', startMosquittoOnce);

async function startMosquittoOnce(): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-mosq-'));
  const port = await freePort();
  const conf = [
    `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
    // Mosquitto drops QoS 1 beyond 1,000 queued per client by default (measurements.md): no limit here.
    'max_queued_messages 0', 'max_inflight_messages 100', 'log_type error', 'log_type warning', 'log_dest stderr',
    ...(process.getuid?.() === 0 ? ['user root'] : []),
  ].join('\n') + '\n';
  writeFileSync(join(dir, 'mosquitto.conf'), conf);
  const proc = run('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], join(dir, 'mosquitto.log'));
  try { await waitPort(port); } catch (e) { await proc.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); throw e; }
  // stop() kills whatever `m.proc` is then: a test may restart the broker and swap the process in.
  const m: Mosquitto = { url: `mqtt://127.0.0.1:${port}`, port, dir, proc, async stop() { await m.proc.kill(); rmSync(dir, { recursive: true, force: true }); } };
  return m;
}

export interface NatsNode { name: string; client: number; mqtt: number; http: number; proc: Proc; url: string; mqttUrl: string }
export interface NatsCluster { nodes: NatsNode[]; dir: string; servers: string; stop(): Promise<void> }

export const startNatsCluster = (size = 3): Promise<NatsCluster> => withRetry('NATS cluster', () => startNatsClusterOnce(size));

async function startNatsClusterOnce(size: number): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-nats-'));
  const ports: { client: number; cluster: number; mqtt: number; http: number }[] = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), cluster: await freePort(), mqtt: await freePort(), http: await freePort() });
  // The gateway keeps QoS 1 messages and sessions in its own JetStream streams. Left to itself it
  // sizes them by the peers it saw at start (2 of 3 here): losing one node then loses the Raft
  // quorum and every QoS 1 publish times out. Pin them to the cluster size.
  const nodes: NatsNode[] = ports.map((p, i) => {
    const name = `n${i + 1}`;
    const routes = ports.filter((_, j) => j !== i).map((q) => `nats-route://127.0.0.1:${q.cluster}`);
    const conf = `server_name: ${name}
listen: 127.0.0.1:${p.client}
http: 127.0.0.1:${p.http}
jetstream { store_dir: "${join(dir, name)}", max_memory_store: 128MB, max_file_store: 1GB }
${size > 1 ? `cluster { name: pftest, listen: 127.0.0.1:${p.cluster}, routes: [${routes.join(', ')}] }` : '# one node: no cluster (JetStream runs standalone)'}
mqtt { port: ${p.mqtt}, host: 127.0.0.1, stream_replicas: ${size} }
`;
    writeFileSync(join(dir, `${name}.conf`), conf);
    const proc = run('/usr/sbin/nats-server', ['-c', join(dir, `${name}.conf`)], join(dir, `${name}.log`));
    return { name, client: p.client, mqtt: p.mqtt, http: p.http, proc, url: `nats://127.0.0.1:${p.client}`, mqttUrl: `mqtt://127.0.0.1:${p.mqtt}` };
  });
  const stopAll = async () => { for (const n of nodes) await n.proc.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); };
  try {
    for (const n of nodes) { await waitPort(n.client, 20_000); await waitPort(n.mqtt, 20_000); }
    // JetStream is usable once a meta leader is elected: /healthz answers 200 then.
    const end = Date.now() + 30_000;
    for (const n of nodes) {
      for (;;) {
        const r = await fetch(`http://127.0.0.1:${n.http}/healthz`).then((x) => x.status, () => 0);
        if (r === 200) break;
        if (Date.now() > end) throw new Error(`${n.name} not healthy: ${readFileSync(n.proc.log, 'utf8').slice(-2000)}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  } catch (e) { await stopAll(); throw e; }
  return {
    nodes, dir, servers: nodes.map((n) => n.url).join(','),
    stop: stopAll,
  };
}
