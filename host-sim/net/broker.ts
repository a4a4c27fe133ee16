// The embedded MQTT broker of `make sim` (aedes, in-process, MQTT 3.1.1) on a free loopback port.

import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface Broker { url: string; close(): Promise<void> }

export async function startEmbeddedBroker(): Promise<Broker> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle as never);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: () => new Promise<void>((res) => { broker.close(() => server.close(() => res())); }),
  };
}
