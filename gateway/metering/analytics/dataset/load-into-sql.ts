import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { SqlExecutor } from '../../../platform/index.js';
import { dayString } from '../days.js';
import type { MeterContext } from '../scanner.js';
import { generateMeter, type GeneratedMeter, type LoadModelOptions } from './load-model.js';

export interface LoadFleetOptions {
  /**
   * A PostgreSQL URL for the same database as `db`: rows then go in through COPY FROM STDIN on a
   * connection of their own (about 4× the INSERT path; 100,000 meters × 460 days is 46 M rows). The
   * table must not already hold the meters loaded (COPY has no ON CONFLICT). Without it (PGlite),
   * batched INSERT … unnest through `db`.
   */
  copyUrl?: string;
}

export interface LoadedFleet {
  truth: Map<string, GeneratedMeter['truth']>;
  context: Map<string, MeterContext>;
  rows: number;
}

/**
 * Write meters [from, to) of a generated data set into `daily_consumption` (the rollups' table) the
 * way the rollup engine would: one row per day with data, quality measured. Returns ground truth and
 * the meters' context (class, disconnection) for scoring.
 */
export async function loadFleetIntoSql(
  db: SqlExecutor,
  model: LoadModelOptions,
  from: number,
  to: number,
  options: LoadFleetOptions = {},
): Promise<LoadedFleet> {
  const fleet: LoadedFleet = { truth: new Map(), context: new Map(), rows: 0 };
  if (options.copyUrl) await copyFleet(options.copyUrl, model, from, to, fleet);
  else await insertFleet(db, model, from, to, fleet);
  return fleet;
}

function generate(index: number, model: LoadModelOptions, fleet: LoadedFleet): GeneratedMeter['series'] {
  const g = generateMeter(index, model);
  const s = g.series;
  fleet.truth.set(s.meterId, g.truth);
  fleet.context.set(s.meterId, {
    ...(s.meterClass ? { meterClass: s.meterClass } : {}),
    ...(s.disconnectedSince !== undefined ? { disconnectedSince: dayString(s.disconnectedSince) } : {}),
  });
  return s;
}

async function insertFleet(
  db: SqlExecutor,
  model: LoadModelOptions,
  from: number,
  to: number,
  fleet: LoadedFleet,
): Promise<void> {
  const CHUNK = 50;
  for (let i = from; i < to; i += CHUNK) {
    const cols = {
      m: [] as string[],
      o: [] as string[],
      d: [] as string[],
      c: [] as number[],
      f: [] as number[],
      l: [] as number[],
    };
    for (let j = i; j < Math.min(i + CHUNK, to); j++) {
      const s = generate(j, model, fleet);
      for (let k = 0; k < s.consumption.length; k++) {
        const c = s.consumption[k]!;
        if (c !== c) continue;
        cols.m.push(s.meterId);
        cols.o.push(s.obis);
        cols.d.push(dayString(s.start + k));
        cols.c.push(c);
        cols.f.push(s.first[k]!);
        cols.l.push(s.last[k]!);
      }
    }
    await db.query(
      `INSERT INTO daily_consumption (meter_id, obis, day, consumption, first_value, last_value, samples, quality)
       SELECT m, o, d, c, f, l, 96, 'measured' FROM unnest($1::text[], $2::text[], $3::date[], $4::float8[], $5::float8[], $6::float8[]) AS t(m, o, d, c, f, l)
       ON CONFLICT (meter_id, obis, day) DO NOTHING`,
      [cols.m, cols.o, cols.d, cols.c, cols.f, cols.l],
    );
    fleet.rows += cols.m.length;
  }
}

// Meter ids and OBIS codes are generated ([A-Z0-9:.-]), so nothing in a row needs COPY text escaping.
const COPY_SQL = `COPY daily_consumption (meter_id, obis, day, consumption, first_value, last_value, samples, quality)
  FROM STDIN`;

/** Meters per COPY chunk: big enough to amortise stream overhead, small enough to interleave. */
const COPY_CHUNK = 20;

async function copyFleet(
  url: string,
  model: LoadModelOptions,
  from: number,
  to: number,
  fleet: LoadedFleet,
): Promise<void> {
  // The day column repeats for every meter: format each day once (every meter of a model shares start).
  const dayText = new Map<number, string>();
  const day = (n: number) => {
    let t = dayText.get(n);
    if (t === undefined) dayText.set(n, (t = dayString(n)));
    return t;
  };
  function* chunks(): Generator<string> {
    for (let i = from; i < to; i += COPY_CHUNK) {
      let text = '';
      for (let j = i; j < Math.min(i + COPY_CHUNK, to); j++) {
        const s = generate(j, model, fleet);
        const prefix = `${s.meterId}\t${s.obis}\t`;
        for (let k = 0; k < s.consumption.length; k++) {
          const c = s.consumption[k]!;
          if (c !== c) continue;
          // Number → text is JavaScript's shortest round-trip form, as the INSERT path's parameters.
          text += `${prefix}${day(s.start + k)}\t${c}\t${s.first[k]}\t${s.last[k]}\t96\tmeasured\n`;
          fleet.rows++;
        }
      }
      yield text;
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Generation (this thread) and the server's COPY (its own process) overlap through the stream.
    await pipeline(Readable.from(chunks(), { objectMode: false }), client.query(copyFrom(COPY_SQL)));
  } finally {
    await client.end();
  }
}
