/**
 * Every benchmark once, at a tiny size, through the CLI (`metergate bench NAME --json`): it still
 * runs and prints its JSON document with the keys the README's performance table and issue 23's
 * contract rely on. Nothing here is timed or compared with a goal — benchmarks are not tests.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCHMARKS } from './index.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'metergate');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function bench(name: string, args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, 'bench', name, '--json', ...args],
      { env: { ...process.env, METERGATE_FROM_SOURCES: '1' }, maxBuffer: 16 * 2 ** 20, timeout: 170_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`bench ${name}: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as Record<string, unknown>);
      },
    );
  });
}

/** Each benchmark with its smallest useful size and the keys its JSON must carry. */
const CASES: Record<string, { args: string[]; keys: string[] }> = {
  tokens: { args: ['--runs', '1', '--seconds', '0.1'], keys: ['machine'] },
  anomaly: {
    args: [
      '--meters',
      '200',
      '--scan-meters',
      '100',
      '--scan-runs',
      '1',
      '--sim-meters',
      '20',
      '--sizes',
      '50,100',
    ],
    keys: ['precision', 'recall', 'scanSeconds'],
  },
  modbus: {
    args: [
      ...['--meters', '20', '--units-per-port', '10', '--rates', '100,200', '--windows', '1'],
      ...['--window-ms', '500', '--warm-ms', '300', '--rtu-window-ms', '1500'],
    ],
    keys: ['ceilingPollsPerSec', 'rtuBusUtilisation'],
  },
  vend: { args: ['--vends', '50', '--rounds', '1', '--warmup', '10', '--meters', '5'], keys: ['machine'] },
  broker: { args: ['--tiny'], keys: ['ratioToMosquitto'] },
  'broker-restart': { args: ['--tiny'], keys: ['machine'] },
  ingest: {
    args: ['--seconds', '0.5', '--rounds', '1', '--meters', '20', '--publishers', '2'],
    keys: ['ratioToBareBroker', 'readingsPerSec', 'lost', 'p99Ms', 'gatewayCpuUsPerReading'],
  },
  dlms: { args: ['--runs', '1'], keys: ['machine'] },
  billing: { args: ['--accounts', '20', '--batch', '10', '--database-url', DATABASE_URL], keys: ['machine'] },
  demo: { args: ['--meters', '3', '--duration', '2'], keys: ['rssMb', 'bannerSeconds'] },
  scaleout: {
    args: ['--seconds', '3', '--edges', '2', '--database-url', DATABASE_URL],
    keys: ['lost', 'duplicateRows', 'aggregateReadingsPerSec', 'gateways'],
  },
  map: { args: ['--meters', '100', '--store', 'pglite'], keys: ['machine'] },
  live: {
    args: ['--readings', '5', '--meters', '20', '--paints', '1'],
    keys: ['p50Ms', 'p99Ms', 'firstPaintMs'],
  },
};

describe('benchmarks at a tiny size (CI)', () => {
  it('every registered benchmark has a tiny case here', () => {
    expect(Object.keys(CASES).sort()).toEqual(BENCHMARKS.map((b) => b.name).sort());
  });

  for (const [name, c] of Object.entries(CASES)) {
    it(`bench ${name} prints its JSON with ${c.keys.join(', ')}`, async () => {
      const out = await bench(name, c.args);
      expect(out.machine).toBeDefined();
      for (const k of c.keys) expect(out, `bench ${name} → ${k}`).toHaveProperty(k);
    });
  }
});
