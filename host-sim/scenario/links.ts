// What a scenario run is connected to (SPEC §2 `sim run --broker`): `none`, no network; `embedded`,
// an in-process broker with the real fleet consumer on it (so a demo verifies, stores and
// acknowledges exactly as a fleet does); `mqtt://HOST:PORT`, a real broker, where the simulator
// acknowledges nothing: a fleet consumer there does (tests may start one here with `fleet: true`).

import { startEmbeddedBroker, type Broker } from '../net/broker';
import { connectNetwork, type NetworkOptions } from '../net/mqtt';
import type { Network } from '../net/network';
import { startFleet, type EmbeddedFleet } from './fleet';
import { operatorSide, type OperatorSide } from './operator';

export interface Links {
  network: Network | null;
  fleet: EmbeddedFleet | null;
  operator: OperatorSide;
  close(): Promise<void>;
}

export async function openLinks(broker: string, dataDir: string, o: NetworkOptions & { fleet?: boolean } = {}): Promise<Links> {
  const operator = operatorSide(dataDir);
  if (broker === 'none') return { network: null, fleet: null, operator, close: async () => {} };
  let embedded: Broker | null = null;
  if (broker === 'embedded') embedded = await startEmbeddedBroker();
  const network = await connectNetwork(embedded ? embedded.url : broker, { ...o, protocolVersion: embedded ? 4 : o.protocolVersion });
  let fleet: EmbeddedFleet | null = null;
  try {
    if (embedded || o.fleet) fleet = await startFleet(network, operator);
  } catch (e) { await network.close(); await embedded?.close(); throw e; }
  return {
    network, fleet, operator,
    async close() {
      await network.close();
      await fleet?.stop();
      await embedded?.close();
    },
  };
}
