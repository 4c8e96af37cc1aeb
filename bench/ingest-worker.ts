// The device side of `metergate bench ingest`, in its own thread so it does not share a core with the
// gateway: an in-process aedes broker (with the outgoing-queue persistence metergate's broker runs
// on, see broker/indexed-memory-persistence.ts) plus simulated meters publishing readings at QoS 1.
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { IndexedMemoryPersistence } from '../broker/index.js';
import { currentThreadId } from './ingest-thread-cpu.js';

interface Data {
  meters: number;
  publishers: number;
  window: number;
}
interface PublishCommand {
  cmd: 'publish';
  seconds: number;
  /** Topic prefix of this phase (the bare broker's subscriber and the gateway listen on different ones). */
  prefix: string;
  /** Readings sent but not yet reported stored, at most (0: no bound). */
  inFlight: number;
}
const data = workerData as Data;

const broker = await Aedes.createBroker({ persistence: new IndexedMemoryPersistence() });
const server = net.createServer(broker.handle);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as net.AddressInfo).port;

let clients: MqttClient[] = [];
// What the gateway side reports stored so far (messages from the parent while a phase runs).
let storedReported = 0;
let sent = 0;
const waiters: Array<() => void> = [];
/** Meters by id, kept across phases so each meter's ts and seq keep increasing. */
const simulated: Record<string, SimulatedMeter> = {};
function wakeAll(): void {
  for (const w of waiters.splice(0)) w();
}
/** One simulated meter: its topic, and the state its next reading continues from. */
interface SimulatedMeter {
  id: string;
  topic: string;
  lastTs: number;
  seq: number;
}

function payload(m: SimulatedMeter): string {
  // ts is the publish instant (unique per meter), so the gateway side can measure publish → stored.
  const ts = Math.max(Date.now(), m.lastTs + 1);
  m.lastTs = ts;
  const seq = ++m.seq;
  // Written out rather than JSON.stringify'd: the simulated meters share the two cores with the
  // system under test, and serialising an object per reading was 5 % of this thread. Same JSON.
  return (
    `{"v":1,"meter":"${m.id}","seq":${seq},"ts":"${new Date(ts).toISOString()}","values":{` +
    `"1-0:1.8.0":${1000 + seq * 0.01},"1-0:2.8.0":${10 + seq * 0.001},"1-0:1.7.0":${1.2 + (seq % 7) * 0.1},` +
    `"1-0:32.7.0":${230 + (seq % 5)},"1-0:14.7.0":50},"source":"simulator"}`
  );
}

async function publishFor(
  prefix: string,
  seconds: number,
  inFlight: number,
): Promise<{ published: number; seconds: number }> {
  const end = Date.now() + seconds * 1000;
  const started = performance.now();
  let published = 0;
  sent = 0;
  storedReported = 0;
  const perClient = Math.ceil(data.meters / data.publishers);
  const blocked = (inflight: number) =>
    inflight >= data.window || (inFlight > 0 && sent - storedReported >= inFlight);
  // One timer for the phase rather than one per wait: blocked publishers are woken on every PUBACK.
  const tick = setInterval(wakeAll, 50);
  await Promise.all(
    clients.map(async (client, c) => {
      const meters = Array.from({ length: perClient }, (_, i): SimulatedMeter => {
        const id = `bench-${c * perClient + i}`;
        const key = `${prefix}/${id}`;
        return (simulated[key] ??= { id, topic: `${prefix}/meters/${id}/reading`, lastTs: 0, seq: 0 });
      });
      let inflight = 0;
      let i = 0;
      while (Date.now() < end) {
        if (blocked(inflight)) {
          // Woken by a PUBACK, a stored report, or the phase's clock tick when neither comes.
          await new Promise<void>((r) => waiters.push(r));
          continue;
        }
        const meter = meters[i++ % meters.length]!;
        inflight++;
        sent++;
        client.publish(meter.topic, payload(meter), { qos: 1 }, (err) => {
          inflight--;
          if (!err) published++;
          wakeAll();
        });
        if (i % 200 === 0) await new Promise((r) => setImmediate(r));
      }
      while (inflight > 0) await new Promise<void>((r) => waiters.push(r));
    }),
  ).finally(() => clearInterval(tick));
  return { published, seconds: (performance.now() - started) / 1000 };
}

parentPort!.on(
  'message',
  async (msg: PublishCommand | { cmd: 'stop' } | { cmd: 'stored'; stored: number }) => {
    if (msg.cmd === 'stored') {
      storedReported = msg.stored;
      wakeAll();
    } else if (msg.cmd === 'publish') {
      if (clients.length === 0) {
        clients = await Promise.all(
          Array.from({ length: data.publishers }, (_, i) =>
            // No per-packet `debug` tracing in the simulated meters (see gateway/bus/mqtt-bus.ts).
            mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
              clientId: `bench-pub-${i}`,
              clean: true,
              log: () => {},
            }),
          ),
        );
      }
      parentPort!.postMessage({ done: await publishFor(msg.prefix, msg.seconds, msg.inFlight) });
    } else {
      await Promise.all(clients.map((c) => c.endAsync()));
      server.close();
      await new Promise<void>((r) => broker.close(() => r()));
      parentPort!.postMessage({ stopped: true });
    }
  },
);
parentPort!.postMessage({ port, tid: currentThreadId() });
