import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './machine.js';
import type { Benchmark } from './types.js';

// The repository root from bench/demo.ts (sources) or dist/bench/demo.js (build).
const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(HERE, HERE.includes(`${join('dist', 'bench')}`) ? '../..' : '..');

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Resident set of one process in MB (Linux /proc), or NaN once it is gone. */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN; // the process has exited between two samples
  }
}

/**
 * `bench demo`: the demo's footprint as a newcomer meets it. Starts `metergate demo` on a fresh data
 * directory (the same command line as `npm run demo`, with the shebang's V8 flag; bin/metergate then
 * re-executes the demo with its own, smaller young generation), reports the time
 * to its banner, the time until the two years of history are written behind it, the resident memory
 * of the process over `--duration` seconds with `--meters` meters (the last sample and the peak),
 * and the time it takes to stop on SIGTERM.
 */
export const demoBenchmark: Benchmark = {
  name: 'demo',
  description:
    'the demo on a fresh data directory: seconds to the banner, resident memory over time, stop time',
  options: [
    { flags: '--meters <n>', description: 'simulated meters', default: '50' },
    {
      flags: '--duration <s>',
      description: 'seconds to run after the banner (goal measured at 600)',
      default: '600',
    },
  ],
  async run(opts) {
    const meters = Number(opts.meters ?? 50);
    const duration = Number(opts.duration ?? 600);
    const dataDir = mkdtempSync(join(os.tmpdir(), 'mg-bench-demo-'));
    const port = await freePort();
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [
        '--max-semi-space-size=64',
        join(ROOT, 'bin/metergate'),
        'demo',
        '--port',
        String(port),
        '--meters',
        String(meters),
        '--data-dir',
        dataDir,
      ],
      { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const marks: Record<string, number> = {};
    const watch = (d: Buffer) => {
      out += String(d);
      const now = (performance.now() - t0) / 1000;
      if (marks.banner === undefined && out.includes('metergate demo is running')) marks.banner = now;
      if (marks.history === undefined && out.includes('demo history ready')) marks.history = now;
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    const samples: number[] = [];
    try {
      while (marks.banner === undefined) {
        if (child.exitCode !== null) throw new Error(`demo exited before its banner:\n${out.slice(-2000)}`);
        if ((performance.now() - t0) / 1000 > 300)
          throw new Error(`no banner within 300 s:\n${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const rssAtBanner = rssMb(child.pid!);
      const until = performance.now() + duration * 1000;
      while (performance.now() < until) {
        await new Promise((r) => setTimeout(r, 1000));
        samples.push(rssMb(child.pid!));
      }
      const stopStart = performance.now();
      child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000)),
      ]);
      if (code === 'timeout') child.kill('SIGKILL');
      const stopSeconds = (performance.now() - stopStart) / 1000;
      const valid = samples.filter((x) => Number.isFinite(x));
      return {
        benchmark: 'demo',
        meters,
        durationSeconds: duration,
        bannerSeconds: Math.round(marks.banner * 10) / 10,
        historySeconds: marks.history === undefined ? null : Math.round(marks.history * 10) / 10,
        rssMb: valid.at(-1) ?? rssAtBanner,
        rssPeakMb: Math.max(rssAtBanner, ...valid),
        rssAtBannerMb: rssAtBanner,
        stopSeconds: Math.round(stopSeconds * 10) / 10,
        exitCode: code,
        goals: { rssMb: 400, bannerSeconds: 10 },
        loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
        machine: machineInfo(),
      };
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
