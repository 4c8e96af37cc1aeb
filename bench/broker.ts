import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { FileCredentialStore, createMetergateBroker, hashPassword } from '../broker/index.js';
import { TopicScheme } from '../protocol/index.js';
import type { Benchmark } from './types.js';
import { machineInfo, median } from './machine.js';
import {
  BENCH_PASSWORD,
  closeAll,
  meterIds,
  mosquittoInstalled,
  openIdle,
  rssBytes,
  startMetergate,
  startMosquitto,
  tempDir,
  type PeerBroker,
} from './broker-peers.js';

/**
 * Messages per second through the broker on loopback: several publisher clients (edges, each for
 * its own meters) and one subscriber (the gateway) on `…/meters/+/reading`. The same workload runs
 * against bare aedes (no auth, no ACL, default hooks) and against the metergate broker (scrypt login,
 * per-meter ACL with its decision cache, limits), interleaved round by round so both see the same
 * machine load. `ratio` = metergate QoS 1 / bare QoS 1.
 *
 * Then the product against its peer (issue 23.2): `metergate broker` and Mosquitto, both as their
 * own processes with auth and ACLs on (broker-peers.ts), `--peer-publishers` publishers (1,000),
 * QoS 1 and 0, interleaved round by round: `ratioToMosquitto` = metergate QoS 1 msg/s ÷ Mosquitto's.
 * Finally `--idle` idle connections (10,000) to each: RSS growth per connected client.
 */
const scheme = new TopicScheme();
const PASSWORD = BENCH_PASSWORD;

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

/** metergate broker vs Mosquitto, both out of process, interleaved; then idle-connection memory. */
async function againstMosquitto(o: {
  publishers: number;
  messages: number;
  rounds: number;
  window: number;
  idle: number;
  timeoutMs: number;
}): Promise<Record<string, unknown>> {
  if (!mosquittoInstalled())
    return { skipped: 'Mosquitto is not installed (apt-get install mosquitto mosquitto-clients)' };
  const tmp = tempDir();
  const edges = Math.max(o.publishers, Math.min(o.idle, 1000));
  const peers: PeerBroker[] = [];
  try {
    peers.push(await startMetergate(edges, tmp.dir), await startMosquitto(edges, tmp.dir));
    const runs: Record<string, number[]> = {
      metergateQos1: [],
      metergateQos0: [],
      mosquittoQos1: [],
      mosquittoQos0: [],
    };
    let incomplete = 0;
    const target = (p: PeerBroker) => ({ port: p.port, auth: true, stop: async () => undefined });
    for (const p of peers)
      await measure(target(p), 1, o.publishers, Math.min(2000, o.messages), o.window, o.timeoutMs);
    for (let r = 0; r < o.rounds; r++) {
      for (const p of r % 2 ? [...peers].reverse() : peers) {
        for (const qos of [1, 0] as const) {
          const m = await measure(target(p), qos, o.publishers, o.messages, o.window, o.timeoutMs);
          if (m.delivered < Math.floor(o.messages / o.publishers) * o.publishers) incomplete++;
          runs[`${p.name}Qos${qos}`]!.push(m.rate);
        }
      }
    }
    const med = (k: string) => median(runs[k]!);
    for (const p of peers.splice(0)) await p.stop();
    // Idle connections: a fresh instance of each broker, alone, so the throughput runs' heap and
    // buffers are not in its RSS; RSS read after it settles, before and after the connections.
    const memory: Record<string, unknown> = {};
    for (const start of [startMetergate, startMosquitto]) {
      const p = await start(edges, tmp.dir);
      peers.push(p);
      await new Promise((r) => setTimeout(r, 3000));
      const before = rssBytes(p.pid);
      const sockets = await openIdle(p.port, o.idle, edges);
      await new Promise((r) => setTimeout(r, 3000));
      const after = rssBytes(p.pid);
      closeAll(sockets);
      memory[p.name] = {
        connections: sockets.length,
        rssBeforeMb: Math.round(before / 2 ** 20),
        rssAfterMb: Math.round(after / 2 ** 20),
        bytesPerClient: Math.round((after - before) / sockets.length),
      };
      await p.stop();
      peers.pop();
    }
    return {
      publishers: o.publishers,
      messages: o.messages,
      rounds: o.rounds,
      messagesPerSecond: {
        metergate: { qos1: med('metergateQos1'), qos0: med('metergateQos0') },
        mosquitto: { qos1: med('mosquittoQos1'), qos0: med('mosquittoQos0') },
      },
      ratioToMosquitto: Math.round((med('metergateQos1') / med('mosquittoQos1')) * 1000) / 1000,
      ratioToMosquittoQos0: Math.round((med('metergateQos0') / med('mosquittoQos0')) * 1000) / 1000,
      runs,
      incompleteRuns: incomplete,
      idle: memory,
      fileDescriptorLimit: fdLimit(),
      goal: 'ratioToMosquitto >= 0.6',
    };
  } finally {
    for (const p of peers) await p.stop();
    tmp.remove();
  }
}

/** Soft limit on open files of this process (`ulimit -n`); each idle client needs one here and one in the broker. */
function fdLimit(): number | undefined {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export const brokerBenchmark: Benchmark = {
  name: 'broker',
  description:
    'MQTT messages/s: bare aedes vs the metergate broker (in process), then metergate broker vs Mosquitto (processes, auth + ACL, 1,000 publishers) and memory per idle client',
  options: [
    { flags: '--messages <n>', description: 'messages per run', default: '20000' },
    { flags: '--publishers <n>', description: 'publisher clients (bare vs metergate)', default: '4' },
    { flags: '--rounds <n>', description: 'rounds (medians reported)', default: '3' },
    { flags: '--window <n>', description: 'unacknowledged publishes per publisher', default: '100' },
    { flags: '--peer-publishers <n>', description: 'publishers against Mosquitto', default: '1000' },
    { flags: '--peer-messages <n>', description: 'messages per run against Mosquitto', default: '50000' },
    { flags: '--idle <n>', description: 'idle connections for memory per client', default: '10000' },
    { flags: '--tiny', description: 'small sizes (CI): 2,000 messages, 1 round, 50 publishers, 200 idle' },
  ],
  async run(options) {
    const tiny = Boolean(options.tiny);
    const messages = tiny ? 2000 : Number(options.messages ?? 20000);
    const publishers = Number(options.publishers ?? 4);
    const rounds = tiny ? 1 : Number(options.rounds ?? 3);
    const window = Number(options.window ?? 100);
    const timeoutMs = 60_000;
    const peer = await againstMosquitto({
      publishers: tiny ? 50 : Number(options.peerPublishers ?? 1000),
      messages: tiny ? 2000 : Number(options.peerMessages ?? 50000),
      rounds,
      window: 10,
      idle: tiny ? 200 : Number(options.idle ?? 10000),
      timeoutMs: 120_000,
    });
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
      ratioToMosquitto: peer.ratioToMosquitto,
      mosquitto: peer,
    };
  },
};
