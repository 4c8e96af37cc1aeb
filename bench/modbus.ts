import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import type { Benchmark } from './types.js';
import { machineInfo, median } from './machine.js';
import {
  Edge,
  ModbusReader,
  PollScheduler,
  RtuTransport,
  getModel,
  minCycleMs,
  charTimeMs,
  t35Ms,
  BITS_PER_CHAR,
  planReads,
  type EdgeConfig,
} from '../drivers/index.js';
import { ModbusRtuSimulator, ModbusTcpSimulator, SimulatedMeter } from '../simulators/index.js';

/**
 * `metergate bench modbus`: (1) meter polls per second from one edge process (the real `Edge`:
 * scheduler, Modbus TCP transports, catalogue decoding, on-disk outbox, MQTT QoS 1 publishing)
 * against 1,000 simulated SDM630 meters, each poll reading the full SDM630 plan; (2) Modbus RTU
 * requests per second on one simulated serial line as a fraction of the line's physical limit.
 *
 * The simulators (and the MQTT broker the edge publishes to) run in a child process so that the edge
 * process is measured alone. The RTU simulator emulates character timing at the configured baud, so
 * the RTU fraction is measured against a line that cannot be beaten.
 */
const CHILD_FLAG = 'MG_BENCH_MODBUS_CHILD';

type ChildRequest =
  | { kind: 'tcp'; ports: number; unitsPerPort: number }
  | { kind: 'rtu'; path: string; baud: number; units: number }
  | { kind: 'broker' };

// ---- child: simulators + broker --------------------------------------------------------------
async function childMain(): Promise<void> {
  const stops: Array<() => Promise<void>> = [];
  process.on('message', async (msg: ChildRequest | { kind: 'stop' }) => {
    try {
      if (msg.kind === 'stop') {
        await Promise.allSettled(stops.map((s) => s()));
        process.exit(0);
      }
      if (msg.kind === 'tcp') {
        const ports: number[] = [];
        for (let p = 0; p < msg.ports; p++) {
          const meters = new Map<number, SimulatedMeter>();
          for (let u = 1; u <= msg.unitsPerPort; u++)
            meters.set(u, new SimulatedMeter({ id: `bench-${p}-${u}`, model: 'sdm630', seed: p * 1000 + u }));
          const sim = new ModbusTcpSimulator({ host: '127.0.0.1', port: 0, meters });
          await sim.start();
          stops.push(() => sim.stop());
          ports.push(sim.address.port);
        }
        process.send!({ ok: true, ports });
      } else if (msg.kind === 'rtu') {
        const meters = new Map<number, SimulatedMeter>();
        for (let u = 1; u <= msg.units; u++)
          meters.set(u, new SimulatedMeter({ id: `bench-rtu-${u}`, model: 'sdm630', seed: u }));
        const sim = new ModbusRtuSimulator({
          path: msg.path,
          baud: msg.baud,
          parity: 'even',
          stopBits: 1,
          meters,
        });
        await sim.start();
        stops.push(() => sim.stop());
        process.send!({ ok: true });
      } else if (msg.kind === 'broker') {
        const broker = await Aedes.createBroker();
        const server = net.createServer(broker.handle);
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
        stops.push(
          () =>
            new Promise<void>((r) => {
              server.close(() => broker.close(() => r()));
            }),
        );
        process.send!({ ok: true, port: (server.address() as net.AddressInfo).port });
      }
    } catch (err) {
      process.send!({ ok: false, error: (err as Error).message });
    }
  });
  process.send!({ ready: true });
}

if (process.env[CHILD_FLAG] === '1' && process.send) void childMain();

// ---- parent ------------------------------------------------------------------------------------
class Child {
  private proc: ChildProcess | null = null;

  async start(): Promise<void> {
    this.proc = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, [CHILD_FLAG]: '1' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await this.next();
  }

  async ask<T>(req: ChildRequest): Promise<T> {
    this.proc!.send(req);
    const r = (await this.next()) as { ok: boolean; error?: string } & T;
    if (!r.ok) throw new Error(`bench simulator: ${r.error}`);
    return r;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => p.kill('SIGKILL'), 5000);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      p.send({ kind: 'stop' });
    });
  }

  private next(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const p = this.proc!;
      const onExit = () => reject(new Error('bench simulator process exited'));
      p.once('exit', onExit);
      p.once('message', (m) => {
        p.off('exit', onExit);
        resolve(m);
      });
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measureWindows(read: () => number, windows: number, windowMs: number): Promise<number[]> {
  const rates: number[] = [];
  for (let i = 0; i < windows; i++) {
    const n0 = read();
    const t0 = performance.now();
    await sleep(windowMs);
    rates.push(((read() - n0) * 1000) / (performance.now() - t0));
  }
  return rates;
}

interface TcpStep {
  offeredPollsPerSec: number;
  pollIntervalMs: number;
  pollsPerSecMedian: number;
  pollsPerSecWindows: number[];
  /** Polls that did not happen in their slot (the scheduler skips a slot it overran) or failed. */
  lateFraction: number;
  pollsFailed: number;
  edgeCpuUsPerPoll: number;
  publishedReadingsPerSec: number;
  outboxDepthAtEnd: number;
  /** 2 when the step went over --max-late and was measured again (the better attempt is kept). */
  attempts?: number;
}

/** One offered rate: a fresh edge polling every meter at `intervalMs`, measured after a warm-up. */
async function tcpStep(
  config: EdgeConfig,
  o: { meters: number; intervalMs: number; windows: number; windowMs: number; warmMs: number },
): Promise<TcpStep> {
  const edge = new Edge({
    config: { ...config, meters: config.meters.map((m) => ({ ...m, interval: o.intervalMs / 1000 })) },
  });
  await edge.start();
  try {
    await sleep(Math.max(o.warmMs, o.intervalMs * 2)); // connections up, JIT warm, stagger over
    const f0 = edge.snapshot().pollsFailed;
    const p0 = edge.snapshot().readingsPublished;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const polls = await measureWindows(() => edge.snapshot().pollsOk, o.windows, o.windowMs);
    const cpu = process.cpuUsage(cpu0);
    const s = edge.snapshot();
    const seconds = (performance.now() - t0) / 1000;
    const offered = (o.meters * 1000) / o.intervalMs;
    const achieved = polls.reduce((a, x) => a + x, 0) / polls.length;
    const failed = s.pollsFailed - f0;
    return {
      offeredPollsPerSec: Math.round(offered),
      pollIntervalMs: o.intervalMs,
      pollsPerSecMedian: Math.round(median(polls)),
      pollsPerSecWindows: polls.map(Math.round),
      lateFraction: +Math.max(0, 1 - achieved / offered + failed / (offered * seconds)).toFixed(4),
      pollsFailed: failed,
      edgeCpuUsPerPoll: Math.round((cpu.user + cpu.system) / Math.max(1, achieved * seconds)),
      publishedReadingsPerSec: Math.round((s.readingsPublished - p0) / seconds),
      outboxDepthAtEnd: s.outboxDepth,
    };
  } finally {
    await edge.stop();
  }
}

/**
 * The Modbus TCP ceiling: the offered rate is raised step by step (a fresh edge per step, the same
 * simulators) until more than `maxLate` of the polls are late (skipped slots or failures); the
 * ceiling is the polls/s achieved at the last step within it.
 */
async function tcpBench(
  child: Child,
  o: {
    meters: number;
    unitsPerPort: number;
    rates: number[];
    inFlight: number;
    windows: number;
    windowMs: number;
    warmMs: number;
    maxLate: number;
  },
) {
  const ports = Math.ceil(o.meters / o.unitsPerPort);
  const { ports: tcpPorts } = await child.ask<{ ports: number[] }>({
    kind: 'tcp',
    ports,
    unitsPerPort: o.unitsPerPort,
  });
  const { port: brokerPort } = await child.ask<{ port: number }>({ kind: 'broker' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-bench-edge-'));
  const config: EdgeConfig = {
    edgeId: 'bench-edge',
    meters: Array.from({ length: o.meters }, (_, i) => ({
      id: `m${i}`,
      model: 'sdm630',
      transport: {
        type: 'tcp' as const,
        host: '127.0.0.1',
        port: tcpPorts[Math.floor(i / o.unitsPerPort)]!,
        unitId: (i % o.unitsPerPort) + 1,
        maxInFlight: o.inFlight,
      },
      interval: 1,
      timeoutMs: 5000,
      retries: 0,
    })),
    broker: { url: `mqtt://127.0.0.1:${brokerPort}`, clientId: 'bench-edge' },
    outbox: { dir, maxBytes: 512 * 2 ** 20, maxAgeHours: 1 },
    maxConcurrentPolls: o.meters,
  };
  const steps: TcpStep[] = [];
  try {
    for (const rate of o.rates) {
      let step = await tcpStep(config, { ...o, intervalMs: (o.meters * 1000) / rate });
      // A break is confirmed by a second attempt at the same rate: on a shared machine a neighbour's
      // burst can stall one window, which says nothing about the edge.
      if (step.lateFraction > o.maxLate) {
        const again = await tcpStep(config, { ...o, intervalMs: (o.meters * 1000) / rate });
        step = { ...(again.lateFraction < step.lateFraction ? again : step), attempts: 2 };
      }
      steps.push(step);
      if (step.lateFraction > o.maxLate) break;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const within = steps.filter((s) => s.lateFraction <= o.maxLate);
  const best = within.reduce<TcpStep | undefined>(
    (b, s) => (!b || s.pollsPerSecMedian > b.pollsPerSecMedian ? s : b),
    undefined,
  );
  const plan = planReads(getModel('sdm630'));
  return {
    meters: o.meters,
    simulatorPorts: ports,
    unitIdsPerPort: o.unitsPerPort,
    pipelinedRequestsPerConnection: o.inFlight,
    readsPerPoll: plan.length,
    registersPerPoll: plan.reduce((a, r) => a + r.count, 0),
    maxLateFraction: o.maxLate,
    ceilingPollsPerSec: best?.pollsPerSecMedian ?? 0,
    // The last step offered no more than the edge could do: the true ceiling lies above it.
    ceilingIsLowerBound: steps.length > 0 && steps[steps.length - 1]!.lateFraction <= o.maxLate,
    steps,
    goalPollsPerSec: 5000,
  };
}

async function rtuBench(child: Child, o: { baud: number; units: number; windows: number; windowMs: number }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-bench-rtu-'));
  const a = path.join(dir, 'ttyA');
  const b = path.join(dir, 'ttyB');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  socat.on('error', () => undefined);
  const transport = new RtuTransport({ path: a, baudRate: o.baud, parity: 'even', timeoutMs: 2000 });
  let scheduler: PollScheduler | null = null;
  try {
    for (let i = 0; i < 100 && !(fs.existsSync(a) && fs.existsSync(b)); i++) await sleep(50);
    if (!fs.existsSync(a)) throw new Error('socat did not create a pty pair (Debian package socat)');
    await child.ask({ kind: 'rtu', path: b, baud: o.baud, units: o.units });
    await transport.start();
    const model = getModel('sdm630');
    const plan = planReads(model);
    let ok = 0;
    let failed = 0;
    const done: number[] = []; // completion times of successful polls (one request each for SDM630)
    scheduler = new PollScheduler({
      meters: Array.from({ length: o.units }, (_, i) => ({
        id: `rtu${i + 1}`,
        intervalMs: 10, // far more than the line can carry: the line queue is the bottleneck
        reader: new ModbusReader({ transport, unitId: i + 1, model, retries: 0 }),
      })),
      onResult: (_m, r) => {
        if (!r.ok) return void failed++;
        ok++;
        done.push(performance.now());
      },
    });
    await scheduler.start();
    await sleep(1000);
    // Rate per window from completion timestamps ((n-1) intervals over first..last), so a window's
    // edges do not quantise a few-per-second rate.
    const rates: number[] = [];
    for (let w = 0; w < o.windows; w++) {
      const from = done.length;
      await sleep(o.windowMs);
      const ts = done.slice(from);
      if (ts.length >= 2) rates.push(((ts.length - 1) * 1000 * plan.length) / (ts[ts.length - 1]! - ts[0]!));
    }
    const counts = plan.map((r) => r.count);
    // Average over the plan's reads: the physical limit of this request mix on this line.
    const cycleMs = counts.reduce((s, c) => s + minCycleMs(o.baud, c), 0) / counts.length;
    const limit = 1000 / cycleMs;
    const achieved = median(rates);
    return {
      baud: o.baud,
      framing: `8E1 (${BITS_PER_CHAR} bits per character, Modbus over serial line §2.5.1)`,
      charTimeMs: +charTimeMs(o.baud).toFixed(4),
      t35Ms: +t35Ms(o.baud).toFixed(4),
      unitsOnLine: o.units,
      registersPerRequest: counts,
      requestBytes: 8,
      responseBytes: counts.map((c) => 5 + 2 * c),
      limitFormula: '(request + response bytes) × char time + 2 × t3.5',
      theoreticalRequestsPerSec: +limit.toFixed(3),
      achievedRequestsPerSecMedian: +achieved.toFixed(3),
      achievedRequestsPerSecWindows: rates.map((r) => +r.toFixed(3)),
      fractionOfBusLimit: +(achieved / limit).toFixed(4),
      pollsOk: ok,
      pollsFailed: failed,
      peakRequestsOutstanding: transport.lineQueue.peakConcurrency,
      goalFraction: 0.95,
    };
  } finally {
    await scheduler?.stop();
    await transport.stop();
    socat.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const modbusBenchmark: Benchmark = {
  name: 'modbus',
  description:
    'edge polls/s ceiling (offered rate raised until > 1 % late) against 1,000 simulated Modbus TCP meters; RTU requests/s as a fraction of the bus limit',
  options: [
    { flags: '--meters <n>', description: 'simulated TCP meters', default: '1000' },
    {
      flags: '--units-per-port <n>',
      description: 'unit ids per simulated TCP concentrator port (≤ 247)',
      default: '200',
    },
    {
      flags: '--rates <list>',
      description:
        'offered TCP polls/s, raised in this order until more than --max-late of the polls are late',
      default: '1000,2000,4000,5000,6000,7000,8000,10000,12000,15000',
    },
    { flags: '--max-late <fraction>', description: 'late polls allowed at the ceiling', default: '0.01' },
    { flags: '--warm-ms <n>', description: 'warm-up of each step, not measured', default: '2000' },
    { flags: '--in-flight <n>', description: 'pipelined requests per TCP connection', default: '32' },
    { flags: '--baud <n>', description: 'RTU line baud rate', default: '9600' },
    { flags: '--rtu-units <n>', description: 'RTU meters on the line', default: '4' },
    { flags: '--windows <n>', description: 'measurement windows per step (median reported)', default: '3' },
    { flags: '--window-ms <n>', description: 'length of one measurement window', default: '2000' },
    { flags: '--rtu-window-ms <n>', description: 'length of one RTU measurement window', default: '8000' },
  ],
  async run(opts) {
    const num = (k: string, d: number) => {
      const v = Number(opts[k] ?? d);
      if (!Number.isFinite(v) || v <= 0)
        throw new Error(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive number`);
      return v;
    };
    const child = new Child();
    await child.start();
    try {
      const windows = num('windows', 3);
      const windowMs = num('windowMs', 2000);
      const rates = String(opts.rates ?? '1000,2000,4000,5000,6000,7000,8000,10000,12000,15000')
        .split(',')
        .map(Number);
      if (rates.some((r) => !Number.isFinite(r) || r <= 0))
        throw new Error('--rates must be a comma-separated list of positive numbers');
      const maxLate = Number(opts.maxLate ?? 0.01);
      if (!Number.isFinite(maxLate) || maxLate < 0 || maxLate >= 1)
        throw new Error('--max-late must be a fraction in [0, 1)');
      const tcp = await tcpBench(child, {
        meters: num('meters', 1000),
        unitsPerPort: Math.min(247, num('unitsPerPort', 200)),
        rates: rates.sort((a, b) => a - b),
        inFlight: num('inFlight', 32),
        windows,
        windowMs,
        warmMs: num('warmMs', 2000),
        maxLate,
      });
      const rtu = await rtuBench(child, {
        baud: num('baud', 9600),
        units: num('rtuUnits', 4),
        windows,
        windowMs: num('rtuWindowMs', 8000),
      });
      return {
        benchmark: 'modbus',
        machine: machineInfo(),
        loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
        note: 'simulators and the MQTT broker run in a child process; the edge process is measured alone',
        // Polls/s of the full SDM630 plan at ≤ --max-late late, one edge process (issue 23.3).
        ceilingPollsPerSec: tcp.ceilingPollsPerSec,
        // RTU requests/s achieved ÷ the line's theoretical limit at its baud rate (issue 20).
        rtuBusUtilisation: rtu.fractionOfBusLimit,
        tcp,
        rtu,
      };
    } finally {
      await child.stop();
    }
  },
};
