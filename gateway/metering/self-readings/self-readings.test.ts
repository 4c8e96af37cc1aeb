import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { EstimationService } from '../estimation/index.js';
import { ROLLUP_MIGRATIONS, SqlRollupStore, type DailyRow } from '../rollups/index.js';
import { checkSelfReading } from './plausibility.js';
import { SelfReadingService } from './self-reading-service.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-02T12:00:00Z');

describe('checkSelfReading (pure)', () => {
  const base = {
    readAt: new Date('2026-11-02T10:00:00Z'),
    now: NOW,
    previous: { index: 5000, at: new Date('2026-10-01T00:00:00Z') },
    maxDailyConsumption: 200,
  };
  it('accepts a plausible index and refuses the rest with a code and fr/en messages', () => {
    expect(checkSelfReading({ ...base, index: 5700 })).toEqual({ ok: true });
    const below = checkSelfReading({ ...base, index: 4999 });
    expect(below).toMatchObject({ ok: false, reason: { code: 'MG_ERR_SELF_READING_BELOW_PREVIOUS' } });
    if (!below.ok) {
      expect(below.reason.message.fr).toMatch(/inférieur au dernier index connu \(5\s000 le 2026-10-01\)/);
      expect(below.reason.message.en).toMatch(/below the last known index \(5,000 on 2026-10-01\)/);
    }
    expect(checkSelfReading({ ...base, index: 5000 + 200 * 33 })).toMatchObject({
      ok: false,
      reason: { code: 'MG_ERR_SELF_READING_IMPLAUSIBLE_JUMP' },
    });
    expect(
      checkSelfReading({ ...base, index: 5100, readAt: new Date(NOW.getTime() + 3_600_000) }),
    ).toMatchObject({
      reason: { code: 'MG_ERR_SELF_READING_IN_FUTURE' },
    });
    expect(
      checkSelfReading({ ...base, index: 5100, readAt: new Date(NOW.getTime() - 90 * DAY) }),
    ).toMatchObject({
      reason: { code: 'MG_ERR_SELF_READING_TOO_OLD' },
    });
    expect(checkSelfReading({ ...base, index: Number.NaN })).toMatchObject({
      reason: { code: 'MG_ERR_SELF_READING_INVALID_INDEX' },
    });
    expect(checkSelfReading({ ...base, index: -1 })).toMatchObject({
      reason: { code: 'MG_ERR_SELF_READING_INVALID_INDEX' },
    });
    expect(checkSelfReading({ ...base, index: 5100, next: { index: 5050, at: NOW } })).toMatchObject({
      reason: { code: 'MG_ERR_SELF_READING_ABOVE_NEXT' },
    });
    const { previous: _p, ...noPrev } = base;
    expect(checkSelfReading({ ...noPrev, index: 5100 })).toMatchObject({
      reason: { code: 'MG_ERR_SELF_READING_NO_HISTORY' },
    });
  });
});

describe('SelfReadingService with estimation on PGlite', () => {
  let db: SqlDatabase;
  let service: SelfReadingService;
  let estimation: EstimationService;
  let lastIndex = 0;
  beforeAll(async () => {
    db = await new PgliteDatabase().start();
    await runMigrations(db, ROLLUP_MIGRATIONS);
    const rollups = new SqlRollupStore({ db });
    estimation = new EstimationService({ db, rollups });
    await estimation.start();
    service = new SelfReadingService({ db, rollups, estimation, now: () => NOW });
    await service.start();
    const rows: DailyRow[] = [];
    let index = 1000;
    for (let d = Date.UTC(2024, 0, 1) / DAY; d <= Date.UTC(2026, 8, 30) / DAY; d++) {
      const day = new Date(d * DAY).toISOString().slice(0, 10);
      const c = day < '2025-01-01' ? 10 : 12;
      rows.push({
        meterId: 'S1',
        obis: '1-0:1.8.0',
        day,
        consumption: c,
        quality: 'measured',
        firstValue: index,
        lastValue: index + c,
      });
      index += c;
    }
    lastIndex = index;
    await rollups.upsertDaily(rows);
    await estimation.estimate({ meterId: 'S1', obis: '1-0:1.8.0', from: '2026-10-01', to: '2026-10-31' });
  });
  afterAll(() => db?.close());

  it('refuses an implausible index with a clear reason and keeps it for the record', async () => {
    const r = await service.submit({
      meterId: 'S1',
      obis: '1-0:1.8.0',
      index: lastIndex - 3,
      readAt: new Date('2026-11-02T10:00:00Z'),
      submittedBy: 'cust-1',
    });
    expect(r).toMatchObject({
      ok: false,
      reason: { code: 'MG_ERR_SELF_READING_BELOW_PREVIOUS' },
      reading: { status: 'refused' },
    });
    const unknown = await service.submit({
      meterId: 'NEW',
      obis: '1-0:1.8.0',
      index: 10,
      submittedBy: 'cust-1',
    });
    expect(unknown).toMatchObject({ ok: false, reason: { code: 'MG_ERR_SELF_READING_NO_HISTORY' } });
  });

  it('accepts a plausible index, regularises the estimate with an instalment plan, stores customer days', async () => {
    const r = await service.submit({
      meterId: 'S1',
      obis: '1-0:1.8.0',
      index: lastIndex + 700,
      readAt: new Date('2026-11-02T10:00:00Z'),
      submittedBy: 'cust-1',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.reading).toMatchObject({ status: 'accepted', index: lastIndex + 700 });
    // Billed: the October estimate (average of Oct 2024 = 310 and Oct 2025 = 372). Usual for
    // 1 Oct–2 Nov: (330 + 396) / 2 = 363; 700 is far above, so 6 monthly instalments are offered.
    expect(r.regularisation).toMatchObject({
      readingQuality: 'customer',
      billed: 341,
      actual: 700,
      difference: 359,
      usualLevel: 363,
      aboveUsual: true,
      instalmentMonths: 6,
    });
    expect(r.regularisation!.instalmentAmount).toBeCloseTo(359 / 6);
    const q = await db.query<{ quality: string; n: number; total: number }>(
      `SELECT quality, count(*)::int AS n, sum(consumption) AS total FROM daily_consumption
       WHERE meter_id = 'S1' AND day >= '2026-10-01' GROUP BY quality`,
    );
    expect(q.rows).toHaveLength(1);
    expect(q.rows[0]!.quality).toBe('customer');
    expect(q.rows[0]!.n).toBe(33);
    expect(q.rows[0]!.total).toBeCloseTo(700);
    // The next self-reading is checked against this one.
    const again = await service.submit({
      meterId: 'S1',
      obis: '1-0:1.8.0',
      index: lastIndex + 650,
      readAt: new Date('2026-11-02T11:00:00Z'),
      submittedBy: 'cust-1',
    });
    expect(again).toMatchObject({
      ok: false,
      reason: { code: 'MG_ERR_SELF_READING_BELOW_PREVIOUS', detail: { previousIndex: lastIndex + 700 } },
    });
    expect((await service.list('S1')).map((s) => s.status)).toEqual(['refused', 'accepted', 'refused']);
  });
});
