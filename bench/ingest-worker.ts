// The device side of `metergate bench ingest`, in its own thread so it does not share a core with the
// gateway: an in-process aedes broker (with the outgoing-queue persistence metergate's broker runs
// on, see broker/indexed-memory-persistence.ts) plus simulated meters publishing readings at QoS 1.
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { IndexedMemoryPersistence } from '../broker/index.js';

interface Data {
  prefix: string;
  meters: number;
  publishers: number;
  window: number;
}
const data = workerData as Data;

const broker = await Aedes.createBroker({ persistence: new IndexedMemoryPersistence() });
const server = net.createServer(broker.handle);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as net.AddressInfo).port;

let clients: MqttClient[] = [];
const lastTs = new Map<string, number>();
const seqs = new Map<string, number>();

function payload(meter: string): string {
  // ts is the publish instant (unique per meter), so the gateway side can measure publish → stored.
  const ts = Math.max(Date.now(), (lastTs.get(meter) ?? 0) + 1);
  lastTs.set(meter, ts);
  const seq = (seqs.get(meter) ?? 0) + 1;
  seqs.set(meter, seq);
  return JSON.stringify({
    v: 1,
    meter,
    seq,
    ts: new Date(ts).toISOString(),
    values: {
      '1-0:1.8.0': 1000 + seq * 0.01,
      '1-0:2.8.0': 10 + seq * 0.001,
      '1-0:1.7.0': 1.2 + (seq % 7) * 0.1,
      '1-0:32.7.0': 230 + (seq % 5),
      '1-0:14.7.0': 50,
    },
    source: 'simulator',
  });
}

async function publishFor(seconds: number): Promise<{ published: number; seconds: number }> {
  const end = Date.now() + seconds * 1000;
  const started = performance.now();
  let published = 0;
  const perClient = Math.ceil(data.meters / data.publishers);
  await Promise.all(
    clients.map(async (client, c) => {
      const meters = Array.from({ length: perClient }, (_, i) => `bench-${c * perClient + i}`);
      let inflight = 0;
      let i = 0;
      let wake: (() => void) | undefined;
      while (Date.now() < end) {
        if (inflight >= data.window) {
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        const meter = meters[i++ % meters.length]!;
        inflight++;
        client.publish(`${data.prefix}/meters/${meter}/reading`, payload(meter), { qos: 1 }, (err) => {
          inflight--;
          if (!err) published++;
          const w = wake;
          wake = undefined;
          w?.();
        });
        if (i % 200 === 0) await new Promise((r) => setImmediate(r));
      }
      while (inflight > 0) await new Promise<void>((r) => (wake = r));
    }),
  );
  return { published, seconds: (performance.now() - started) / 1000 };
}

parentPort!.on('message', async (msg: { cmd: 'publish'; seconds: number } | { cmd: 'stop' }) => {
  if (msg.cmd === 'publish') {
    if (clients.length === 0) {
      clients = await Promise.all(
        Array.from({ length: data.publishers }, (_, i) =>
          mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `bench-pub-${i}`, clean: true }),
        ),
      );
    }
    parentPort!.postMessage({ done: await publishFor(msg.seconds) });
  } else {
    await Promise.all(clients.map((c) => c.endAsync()));
    server.close();
    await new Promise<void>((r) => broker.close(() => r()));
    parentPort!.postMessage({ stopped: true });
  }
});
parentPort!.postMessage({ port });
