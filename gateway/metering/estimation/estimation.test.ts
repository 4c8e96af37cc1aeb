import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { ROLLUP_MIGRATIONS, SqlRollupStore, type DailyRow } from '../rollups/index.js';
import { EstimationService, lastClosedMonth, type RegularisationRecord } from './estimation-service.js';
import { estimatePeriod, shiftYears } from './estimator.js';

const DAY = 86_400_000;
const day = (n: number) => new Date(n * DAY).toISOString().slice(0, 10);
const num = (s: string) => Date.parse(`${s}T00:00:00Z`) / DAY;

/** Measured rows from `from` to `to`; `perDay(day)` kWh a day, the register advancing from `index`. */
function measured(
  meterId: string,
  from: string,
  to: string,
  perDay: (d: string) => number,
  index = 1000,
): DailyRow[] {
  const rows: DailyRow[] = [];
  for (let d = num(from); d <= num(to); d++) {
    const c = perDay(day(d));
    rows.push({
      meterId,
      obis: '1-0:1.8.0',
      day: day(d),
      consumption: c,
      quality: 'measured',
      firstValue: index,
      lastValue: index + c,
    });
    index += c;
  }
  return rows;
}

describe('estimatePeriod (pure)', () => {
  it('averages the same period of the previous two years, else uses recent history', () => {
    const real = new Map<string, number>();
    for (let d = num('2024-01-01'); d <= num('2026-09-30'); d++)
      real.set(day(d), day(d) < '2025-01-01' ? 10 : 12);
    expect(estimatePeriod(real, { from: '2026-10-01', to: '2026-10-31' })).toMatchObject({
      basis: 'same_period_prior_years',
      estimated: 341,
    });
    const recent = new Map<string, number>();
    for (let d = num('2026-07-01'); d <= num('2026-09-30'); d++) recent.set(day(d), 8);
    const r = estimatePeriod(recent, { from: '2026-10-01', to: '2026-10-10' });
    expect(r).toMatchObject({ basis: 'recent_history', estimated: 80 });
    expect(estimatePeriod(new Map(), { from: '2026-10-01', to: '2026-10-10' })).toBeUndefined();
    expect(shiftYears('2024-02-29', -1)).toBe('2023-02-28');
  });
});

describe('EstimationService on PGlite', () => {
  let db: SqlDatabase;
  let service: EstimationService;
  const regularised: RegularisationRecord[] = [];
  beforeAll(async () => {
    db = await new PgliteDatabase().start();
    await runMigrations(db, ROLLUP_MIGRATIONS);
    const rollups = new SqlRollupStore({ db });
    service = new EstimationService({ db, rollups, onRegularised: async (r) => void regularised.push(r) });
    await service.start();
    await rollups.upsertDaily(
      measured('E1', '2024-01-01', '2026-09-30', (d) => (d < '2025-01-01' ? 10 : 12)),
    );
    await rollups.upsertDaily(measured('E2', '2026-07-01', '2026-09-30', () => 8));
    await rollups.upsertDaily(measured('E2', '2026-10-11', '2026-10-12', () => 8, 1000 + 92 * 8 + 95));
  });
  afterAll(() => db?.close());

  it('estimates a period without readings from the previous two years and fills estimated days', async () => {
    const e = await service.estimate({
      meterId: 'E1',
      obis: '1-0:1.8.0',
      from: '2026-10-01',
      to: '2026-10-31',
    });
    expect(e).toMatchObject({ status: 'estimated', basis: 'same_period_prior_years', estimated: 341 });
    const days = await db.query<{ n: number; total: number }>(
      `SELECT count(*)::int AS n, sum(consumption) AS total FROM daily_consumption WHERE meter_id = 'E1' AND quality = 'estimated'`,
    );
    expect(days.rows[0]).toEqual({ n: 31, total: 341 });
    // Estimating again changes nothing (unique per period).
    await service.estimate({ meterId: 'E1', obis: '1-0:1.8.0', from: '2026-10-01', to: '2026-10-31' });
    expect(await service.estimates('E1')).toHaveLength(1);
  });

  it('refuses periods that were read, invalid periods, and meters without history', async () => {
    await expect(
      service.estimate({ meterId: 'E1', obis: '1-0:1.8.0', from: '2026-09-01', to: '2026-09-30' }),
    ).rejects.toMatchObject({
      code: 'MG_ERR_ESTIMATION_NOT_NEEDED',
    });
    await expect(
      service.estimate({ meterId: 'E1', obis: '1-0:1.8.0', from: '2026-10-31', to: '2026-10-01' }),
    ).rejects.toMatchObject({
      code: 'MG_ERR_ESTIMATION_BAD_PERIOD',
    });
    await expect(
      service.estimate({ meterId: 'NOPE', obis: '1-0:1.8.0', from: '2026-10-01', to: '2026-10-31' }),
    ).rejects.toMatchObject({
      code: 'MG_ERR_ESTIMATION_NO_HISTORY',
    });
  });

  it('falls back to recent history and regularises when measured data resumes (the job)', async () => {
    const due = await service.estimateDue({ obis: '1-0:1.8.0', from: '2026-10-01', to: '2026-10-10' });
    expect(due.estimated).toBeGreaterThanOrEqual(1);
    const [e2] = await service.estimates('E2');
    expect(e2).toMatchObject({ basis: 'recent_history', estimated: 80 });
    expect(await service.regulariseDue('1-0:1.8.0')).toBe(1);
    const [r] = await service.regularisations('E2');
    // Register: 1000 + 92 days × 8 at 2026-09-30, then 95 kWh until 2026-10-11's start, 8 more that day.
    expect(r).toMatchObject({
      readingQuality: 'measured',
      readingDay: '2026-10-11',
      billed: 88,
      actual: 103,
      difference: 15,
    });
    expect((await service.estimates('E2'))[0]!.status).toBe('regularised');
    expect(regularised.map((x) => x.meterId)).toContain('E2');
  });

  it('refuses a period that ends after today, with its code and the dates', async () => {
    const clocked = new EstimationService({
      db,
      rollups: new SqlRollupStore({ db }),
      migrate: false,
      now: () => new Date('2026-10-15T09:00:00Z'),
    });
    await expect(
      clocked.estimate({ meterId: 'E1', obis: '1-0:1.8.0', from: '2026-10-01', to: '2026-10-31' }),
    ).rejects.toMatchObject({
      code: 'MG_ERR_ESTIMATION_FUTURE_PERIOD',
      statusCode: 422,
      params: { to: '2026-10-31', today: '2026-10-15' },
    });
  });

  it('the daily job estimates the last whole month of meters without readings in it', async () => {
    expect(lastClosedMonth(new Date('2027-01-01T00:30:00Z'))).toEqual({
      from: '2026-12-01',
      to: '2026-12-31',
    });
    expect(lastClosedMonth(new Date('2026-03-31T23:00:00Z'))).toEqual({
      from: '2026-02-01',
      to: '2026-02-28',
    });
    const rollups = new SqlRollupStore({ db });
    await rollups.upsertDaily(measured('E3', '2024-10-01', '2026-10-31', () => 5));
    const clocked = new EstimationService({
      db,
      rollups,
      migrate: false,
      now: () => new Date('2026-12-02T02:00:00Z'),
    });
    const run = await clocked.runDaily('1-0:1.8.0');
    expect(run).toMatchObject({ from: '2026-11-01', to: '2026-11-30' });
    expect(run.estimated).toBeGreaterThanOrEqual(1);
    expect((await clocked.estimates('E3')).map((e) => [e.periodFrom, e.periodTo, e.estimated])).toEqual([
      ['2026-11-01', '2026-11-30', 150],
    ]);
    // Every day again: nothing new for E3.
    await clocked.runDaily('1-0:1.8.0');
    expect(await clocked.estimates('E3')).toHaveLength(1);
  });
});
