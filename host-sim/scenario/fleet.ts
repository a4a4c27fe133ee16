// The fleet a scenario run reports to on the embedded broker: the real fleet consumer
// (src/fleet/run.ts, what `preflight fleet consume` runs), in this process, with the operator
// side's registry, backend key and store. It verifies, stores and acknowledges exactly as a
// fleet does; the driver only waits for it (Peer) and may stop and restart it (a crash test).

import { startConsumer, type RunningConsumer } from '../../src/fleet/run';
import type { FleetEvent } from '../../src/fleet/consumer';
import type { Network, Peer } from '../net/network';
import type { OperatorSide } from './operator';

export interface EmbeddedFleet extends Peer {
  readonly consumer: RunningConsumer | null;
  events: FleetEvent[];
  /** Stops the consumer (what it has committed stays committed; what it had not, the broker redelivers). */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** `o.broker`: where the consumer connects when not where the terminal does (the bench counts the terminal's link alone). */
export async function startFleet(net: Network, op: OperatorSide, o: { clientId?: string; broker?: string } = {}): Promise<EmbeddedFleet> {
  let running: RunningConsumer | null = null;
  // Counted across restarts: the driver compares them with what the terminals published.
  const base = { received: 0, acks: 0 };
  const events: FleetEvent[] = [];
  const start = async () => {
    const r = await startConsumer({
      broker: o.broker ?? net.url, registry: op.registry, db: op.db, backendKey: op.backendKeyPath, ackDelayMs: 2,
      clientId: o.clientId ?? `preflight-fleet-${process.pid}`, onEvent: (e) => { if (events.length < 10_000) events.push(e); },
    });
    if (!r.ok) throw new Error(`embedded fleet: ${r.error}`);
    running = r.value;
  };
  await start();
  const f: EmbeddedFleet = {
    get consumer() { return running; },
    events,
    received: () => base.received + (running?.consumer.counters.messages ?? 0),
    acksSent: () => base.acks + (running?.consumer.counters.acks ?? 0),
    busy: () => !!running && running.consumer.acker.busy(),
    running: () => running !== null,
    async stop() {
      const r = running;
      running = null;
      if (!r) return;
      base.received += r.consumer.counters.messages; base.acks += r.consumer.counters.acks;
      await r.stop();
    },
    start,
  };
  net.attach(f);
  return f;
}
