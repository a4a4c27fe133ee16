// One contract for the fleet's message sources (src/fleet/source-mqtt.ts, source-nats.ts), run
// against each on a broker started here: what a terminal publishes reaches the handler as the MQTT
// topic and the exact bytes; a message whose handling fails is delivered again (it was never
// acknowledged); and an ack the source publishes reaches the terminal's MQTT subscription.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { connectMqtt } from '../../src/fleet/source-mqtt';
import { connectNats } from '../../src/fleet/source-nats';
import { startMosquitto, startNatsCluster, type Mosquitto, type NatsCluster } from '../fleet/helpers/brokers';

interface Source { publish(t: string, p: Uint8Array): Promise<void>; close(): Promise<void> }
type Handler = (topic: string, payload: Uint8Array) => void;
interface Rig { terminalUrl: string; open(onMessage: Handler, name: string): Promise<Source> }

let mosq: Mosquitto, nats: NatsCluster;
beforeAll(async () => { [mosq, nats] = await Promise.all([startMosquitto(), startNatsCluster(1)]); }, 60_000);
afterAll(async () => { await mosq?.stop(); await nats?.stop(); });

const RIGS: [string, () => Rig][] = [
  ['MQTT (Mosquitto)', () => ({
    terminalUrl: mosq.url,
    async open(onMessage, name) {
      const r = await connectMqtt({ url: mosq.url, clientId: `contract-${name}`, onMessage: (t, p) => onMessage(t, p) });
      if (!r.ok) throw new Error(r.error);
      return r.value;
    },
  })],
  ['NATS JetStream (MQTT gateway for terminals)', () => ({
    terminalUrl: nats.nodes[0]!.mqttUrl,
    async open(onMessage, name) {
      const r = await connectNats({ servers: [nats.nodes[0]!.url], stream: "CONTRACT", durable: `d-${name}`, ackWaitMs: 500, onMessage });
      if (!r.ok) throw new Error(r.error);
      return r.value;
    },
  })],
];

async function terminal(url: string, id: string): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId: id, protocolVersion: 4, clean: false, reconnectPeriod: 200 });
  c.on('error', () => {});
  await new Promise<void>((res) => c.once('connect', () => res()));
  return c;
}
const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 20)); }
};

let n = 0;
for (const [name, make] of RIGS) {
  describe(`message source contract: ${name}`, () => {
    it('delivers a terminal\'s message as its MQTT topic and exact bytes; a failed handling is delivered again', async () => {
      const rig = make();
      const id = `s${++n}${Date.now() % 1000}`;
      const got: [string, string][] = [];
      let fail = 1;
      const src = await rig.open((t, p) => {
        if (t.endsWith('/journal') && fail-- > 0) throw new Error('store is down');
        got.push([t, Buffer.from(p).toString('hex')]);
      }, id);
      const term = await terminal(rig.terminalUrl, `term-${id}`);
      try {
        const payload = Buffer.from([0x81, 0x43, 1, 2, 3]);
        await term.publishAsync(`preflight/v1/f${id}/T-${id}/journal`, payload, { qos: 1 });
        await until(() => got.some(([t]) => t.endsWith('/journal')), 20_000);
        expect(got.find(([t]) => t.endsWith('/journal'))).toEqual([`preflight/v1/f${id}/T-${id}/journal`, payload.toString('hex')]);
        expect(fail).toBeLessThan(0);                                   // the first delivery failed; this is the second
      } finally { term.end(true); await src.close(); }
    }, 60_000);

    it('an ack the source publishes reaches the terminal\'s subscription', async () => {
      const rig = make();
      const id = `a${++n}${Date.now() % 1000}`;
      const src = await rig.open(() => {}, id);
      const term = await terminal(rig.terminalUrl, `term-${id}`);
      const acks: string[] = [];
      term.on('message', (_t, p) => acks.push(p.toString('hex')));
      try {
        const ackTopic = `preflight/v1/f${id}/T-${id}/ack`;
        await term.subscribeAsync(ackTopic, { qos: 1 });
        await src.publish(ackTopic, new Uint8Array([0xd2, 9, 9]));
        await until(() => acks.length > 0);
        expect(acks).toEqual(['d20909']);
      } finally { term.end(true); await src.close(); }
    }, 60_000);
  });
}
