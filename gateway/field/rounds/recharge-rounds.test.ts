import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READINGS_MIGRATIONS, ROLLUP_MIGRATIONS } from '../../metering/index.js';
import { PgliteDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { parseArea } from '../area.js';
import { LocationStore } from '../locations/location-store.js';
import { FIELD_MIGRATIONS } from '../migrations.js';
import { rechargeRound } from './recharge-rounds.js';

let db: SqlDatabase;
const NOW = new Date('2026-03-10T12:00:00Z');

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  await runMigrations(db, [...READINGS_MIGRATIONS, ...ROLLUP_MIGRATIONS, ...FIELD_MIGRATIONS]);
  // The ledger's sales, reduced to the columns the round reads (the prepaid ledger has more).
  await db.exec(`CREATE TABLE vends (meter_id text, kind text, units numeric(12,1), created_at timestamptz)`);
  const sale = (meter: string, units: number, at: string) =>
    db.query(`INSERT INTO vends VALUES ($1, 'purchase', $2, $3)`, [meter, units, at]);
  // Every meter uses 5 kWh a day since 1 March (9 days = 45 kWh).
  for (const m of ['PP-1', 'PP-2', 'PP-3', 'PP-4']) {
    await db.query(
      `INSERT INTO daily_consumption (meter_id, obis, day, consumption, samples, quality)
       SELECT $1, '1-0:1.8.0', d::date, 5, 96, 'measured' FROM generate_series('2026-03-01'::date, '2026-03-09'::date, interval '1 day') d`,
      [m],
    );
  }
  await sale('PP-1', 50, '2026-03-01T08:00:00Z'); // 5 kWh left: 1 day
  await sale('PP-2', 40, '2026-03-01T08:00:00Z'); // spent: 0 days
  await sale('PP-3', 100, '2026-03-01T08:00:00Z'); // 55 kWh left: 11 days
  await sale('PP-4', 55, '2026-03-01T08:00:00Z'); // 10 kWh left: 2 days, but in another commune
  await new LocationStore({ db }).import(
    {
      ok: true,
      points: [
        { meter: 'PP-1', lat: 33.95, lon: -6.86, commune: 'Souissi', kind: 'prepaid' },
        { meter: 'PP-2', lat: 33.95, lon: -6.88, commune: 'Souissi', kind: 'prepaid' },
        { meter: 'PP-3', lat: 33.951, lon: -6.87, commune: 'Souissi', kind: 'prepaid' },
        { meter: 'PP-4', lat: 33.96, lon: -6.87, commune: 'Agdal-Riyad', kind: 'prepaid' },
      ].map((point, i) => ({ line: i + 1, point: point as { meter: string; lat: number; lon: number } })),
    },
    { trusted: true },
  );
});
afterAll(async () => {
  await db.close();
});

describe('recharge rounds', () => {
  it('lists the area’s prepaid meters out of credit or running out, in walking order', async () => {
    const round = await rechargeRound(db, parseArea('commune:Souissi'), 3, NOW);
    expect(round.map((s) => [s.seq, s.meter, s.remainingUnits, s.daysLeft])).toEqual([
      [1, 'PP-2', -5, 0],
      [2, 'PP-1', 5, 1],
    ]);
    const wider = await rechargeRound(db, parseArea(undefined), 3, NOW);
    expect(wider.map((s) => s.meter).sort()).toEqual(['PP-1', 'PP-2', 'PP-4']);
  });

  it('counts the credit a meter exchange moved onto the new meter', async () => {
    // PP-9 replaced a meter on 8 March with 12 kWh left on it, and has used 5 kWh a day since.
    await db.query(`INSERT INTO vends VALUES ('PP-9', 'credit-transfer', 12, '2026-03-08T09:00:00Z')`);
    await db.query(
      `INSERT INTO daily_consumption (meter_id, obis, day, consumption, samples, quality)
       SELECT 'PP-9', '1-0:1.8.0', d::date, 5, 96, 'measured' FROM generate_series('2026-03-08'::date, '2026-03-09'::date, interval '1 day') d`,
    );
    await new LocationStore({ db }).import(
      {
        ok: true,
        points: [
          {
            line: 1,
            point: { meter: 'PP-9', lat: 34.0, lon: -6.8, commune: 'Hassan', kind: 'prepaid' } as {
              meter: string;
              lat: number;
              lon: number;
            },
          },
        ],
      },
      { trusted: true },
    );
    const round = await rechargeRound(db, parseArea('commune:Hassan'), 3, NOW);
    expect(round.map((s) => [s.meter, s.remainingUnits, s.daysLeft])).toEqual([['PP-9', 2, 0.4]]);
  });
});
