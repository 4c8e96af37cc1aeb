import type { SqlExecutor } from '../../db/index.js';
import { dayString } from '../days.js';
import type { MeterContext } from '../scanner.js';
import { generateMeter, type GeneratedMeter, type LoadModelOptions } from './load-model.js';

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
): Promise<{
  truth: Map<string, GeneratedMeter['truth']>;
  context: Map<string, MeterContext>;
  rows: number;
}> {
  const truth = new Map<string, GeneratedMeter['truth']>();
  const context = new Map<string, MeterContext>();
  let rows = 0;
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
      const g = generateMeter(j, model);
      const s = g.series;
      truth.set(s.meterId, g.truth);
      context.set(s.meterId, {
        ...(s.meterClass ? { meterClass: s.meterClass } : {}),
        ...(s.disconnectedSince !== undefined ? { disconnectedSince: dayString(s.disconnectedSince) } : {}),
      });
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
    rows += cols.m.length;
  }
  return { truth, context, rows };
}
