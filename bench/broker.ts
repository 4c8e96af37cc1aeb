import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { FileCredentialStore, createMetergateBroker, hashPassword } from '../broker/index.js';
import { TopicScheme } from '../protocol/index.js';
import type { Benchmark } from './types.js';
import { machineInfo, median } from './machine.js';

/**
 * Messages per second through the broker on loopback: several publisher clients (edges, each for
 * its own meters) and one subscriber (the gateway) on `…/meters/+/reading`. The same workload runs
 * against bare aedes (no auth, no ACL, default hooks) and against the metergate broker (scrypt login,
 * per-meter ACL with its decision cache, limits), interleaved round by round so both see the same
 * machine load. `ratio` = metergate QoS 1 / bare QoS 1.
 */
const scheme = new TopicScheme();
const PASSWORD = 'bench-password-not-secret';

interface Target {
  port: number;
  auth: boolean;
  stop(): Promise<void>;
}

async function bareAedes(): Promise<Target> {
  const aedes = await Aedes.createBroker();
  const server = net.createServer((s) => aedes.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    auth: false,
    async stop() {
      await new Promise<void>((r) => aedes.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function metergate(publishers: number): Promise<Target> {
  const hash = await hashPassword(PASSWORD, 12);
  const records = [
    { username: 'gw', role: 'gateway' as const, meters: [], passwordHash: hash },
    ...Array.from({ length: publishers }, (_, i) => ({
      username: `edge-${i}`,
      role: 'edge' as const,
      meters: meterIds(i),
      passwordHash: hash,
    })),
  ];
  const b = createMetergateBroker({
    port: 0,
    credentials: new FileCredentialStore({ records }),
    limits: { connectionRate: { perSecond: 1000, burst: 1000 } },
  });
  await b.start();
  return { port: b.ports.tcp!, auth: true, stop: () => b.stop() };
}

const METERS_PER_EDGE = 10;
const meterIds = (edge: number) => Array.from({ length: METERS_PER_EDGE }, (_, m) => `E${edge}-M${m}`);

function connect(port: number, opts: mqtt.IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

function payload(meter: string, seq: number): string {
  return JSON.stringify({
    v: 1,
    meter,
    seq,
    ts: new Date(1_790_000_000_000 + seq * 1000).toISOString(),
    values: { '1-0:1.8.0': 1234.567 + seq, '1-0:2.8.0': 0, '1-0:1.7.0': 0.812, '1-0:32.7.0': 231.2 },
    quality: 'good',
    source: 'modbus-tcp',
    historical: false,
  });
}

/** One measured run: returns messages/s delivered to the subscriber (or partial count on timeout). */
async function measure(
  t: Target,
  qos: 0 | 1,
  publishers: number,
  messages: number,
  window: number,
  timeoutMs: number,
): Promise<{ rate: number; delivered: number }> {
  const cred = (u: string) => (t.auth ? { username: u, password: PASSWORD } : {});
  const sub = await connect(t.port, { ...cred('gw'), clean: true });
  await sub.subscribeAsync(scheme.readingFilter(), { qos });
  const pubs = await Promise.all(
    Array.from({ length: publishers }, (_, i) => connect(t.port, cred(`edge-${i}`))),
  );
  const perPub = Math.floor(messages / publishers);
  const total = perPub * publishers;
  let delivered = 0;
  const done = new Promise<void>((resolve) => {
    sub.on('message', () => {
      if (++delivered === total) resolve();
    });
  });
  const start = performance.now();
  const pubLoops = pubs.map(
    (c, i) =>
      new Promise<void>((resolve) => {
        const meters = meterIds(i);
        let sent = 0;
        let acked = 0;
        const pump = () => {
          while (sent < perPub && sent - acked < window) {
            const seq = sent++;
            const meter = meters[seq % meters.length]!;
            c.publish(scheme.reading(meter), payload(meter, seq), { qos }, () => {
              acked++;
              if (acked === perPub) resolve();
              else pump();
            });
          }
        };
        pump();
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([done, ...pubLoops]),
    new Promise<void>((r) => {
      timer = setTimeout(r, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  const seconds = (performance.now() - start) / 1000;
  for (const c of [sub, ...pubs]) c.end(true);
  return { rate: Math.round(delivered / seconds), delivered };
}

export const brokerBenchmark: Benchmark = {
  name: 'broker',
  description:
    'MQTT messages/s through bare aedes and through the metergate broker (auth + ACL), QoS 0 and 1',
  options: [
    { flags: '--messages <n>', description: 'messages per run', default: '20000' },
    { flags: '--publishers <n>', description: 'publisher clients', default: '4' },
    { flags: '--rounds <n>', description: 'rounds (medians reported)', default: '3' },
    { flags: '--window <n>', description: 'unacknowledged publishes per publisher', default: '100' },
  ],
  async run(options) {
    const messages = Number(options.messages ?? 20000);
    const publishers = Number(options.publishers ?? 4);
    const rounds = Number(options.rounds ?? 3);
    const window = Number(options.window ?? 100);
    const timeoutMs = 60_000;
    const results: Record<string, number[]> = { bareQos1: [], bareQos0: [], authQos1: [], authQos0: [] };
    let incomplete = 0;
    const targets = [
      ['bare', () => bareAedes()],
      ['auth', () => metergate(publishers)],
    ] as const;
    // One short unmeasured pass warms the JIT for both, so the first measured target is not penalised.
    for (const [, make] of targets) {
      const t = await make();
      await measure(t, 1, publishers, Math.min(2000, messages), window, timeoutMs).finally(() => t.stop());
    }
    for (let r = 0; r < rounds; r++) {
      // Alternate which target goes first, so drift in machine load does not favour one of them.
      for (const [name, make] of r % 2 ? [...targets].reverse() : targets) {
        for (const qos of [1, 0] as const) {
          const t = await make();
          try {
            const m = await measure(t, qos, publishers, messages, window, timeoutMs);
            if (m.delivered < Math.floor(messages / publishers) * publishers) incomplete++;
            results[`${name}Qos${qos}`]!.push(m.rate);
          } finally {
            await t.stop();
          }
        }
      }
    }
    const med = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)])) as Record<
      string,
      number
    >;
    return {
      benchmark: 'broker',
      machine: machineInfo(),
      setup: {
        messages,
        publishers,
        subscribers: 1,
        rounds,
        window,
        payloadBytes: payload('E0-M0', 1).length,
      },
      messagesPerSecond: {
        bare: { qos1: med.bareQos1, qos0: med.bareQos0 },
        metergate: { qos1: med.authQos1, qos0: med.authQos0 },
      },
      ratio: Math.round((med.authQos1! / med.bareQos1!) * 1000) / 1000,
      ratioQos0: Math.round((med.authQos0! / med.bareQos0!) * 1000) / 1000,
      runs: results,
      incompleteRuns: incomplete,
      goal: 'ratio >= 0.8',
    };
  },
};
