import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { openDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { EstimationService } from '../estimation/index.js';
import { ROLLUP_MIGRATIONS, SqlRollupStore } from '../rollups/index.js';
import { SelfReadingService } from '../self-readings/index.js';
import { SqlAnomalyStore } from './anomaly-store.js';
import { SqlDailyBatchSource } from './daily-batches.js';
import { DetectionScore } from './dataset/evaluate.js';
import { loadFleetIntoSql } from './dataset/load-into-sql.js';
import { generateMeter } from './dataset/load-model.js';
import { detectMeter } from './detector.js';
import { dayNumber, dayString } from './days.js';
import { StaticMeterContext } from './meter-context.js';
import { ANALYTICS_MIGRATIONS } from './migrations.js';
import { AnomalyScanner } from './scanner.js';

const MODEL = { seed: 5, asOf: dayNumber('2026-11-20'), days: 460 };

describe('analytics on PostgreSQL', () => {
  let db: SqlDatabase;
  let drop: () => Promise<void>;
  let loaded: Awaited<ReturnType<typeof loadFleetIntoSql>>;
  beforeAll(async () => {
    const t = await createTestDatabase('mg_analytics');
    drop = t.drop;
    db = await openDatabase({ url: t.url });
    await runMigrations(db, [...ROLLUP_MIGRATIONS, ...ANALYTICS_MIGRATIONS]);
    loaded = await loadFleetIntoSql(db, MODEL, 0, 400, { copyUrl: t.url });
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('loads the generated fleet through COPY: every day with data, values exact', async () => {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM daily_consumption');
    expect(rows[0]!.n).toBe(loaded.rows);
    const g = generateMeter(7, MODEL).series;
    const expected = [...g.consumption.keys()]
      .filter((k) => !Number.isNaN(g.consumption[k]!))
      .map((k) => ({
        day: dayString(g.start + k),
        consumption: g.consumption[k],
        first_value: g.first[k],
        last_value: g.last[k],
        samples: 96,
        quality: 'measured',
      }));
    const stored = await db.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, consumption, first_value, last_value, samples, quality
       FROM daily_consumption WHERE meter_id = $1 AND obis = $2 ORDER BY day`,
      [g.meterId, g.obis],
    );
    expect(stored.rows).toEqual(expected);
    expect(loaded.context.get(g.meterId)).toEqual({
      meterClass: g.meterClass,
      ...(g.disconnectedSince !== undefined ? { disconnectedSince: dayString(g.disconnectedSince) } : {}),
    });
  });

  it('scans every meter in key-range batches with read-ahead and matches the ground truth', async () => {
    const store = new SqlAnomalyStore({ db });
    const scanner = new AnomalyScanner({
      source: new SqlDailyBatchSource({ db, readAhead: 3 }),
      store,
      context: new StaticMeterContext({ meters: loaded.context }),
      thresholds: { byClass: { commercial: { minDifference: 60 } } },
      batchSize: 37,
    });
    const report = await scanner.scan({ asOf: '2026-11-20', obis: '1-0:1.8.0' });
    expect(report.meters).toBe(400);
    const found = await store.list({ limit: 1000 });
    expect(found).toHaveLength(report.opened);
    const score = new DetectionScore();
    for (const [meterId, truth] of loaded.truth) {
      score.add(
        meterId,
        truth,
        found.filter((a) => a.meterId === meterId).map((a) => a.kind),
      );
    }
    expect(score.truePositives).toBeGreaterThan(25);
    // The windows read from SQL decide exactly as the whole generated history does.
    const thresholds = { byClass: { commercial: { minDifference: 60 } } };
    for (let i = 0; i < 400; i++) {
      const g = generateMeter(i, MODEL).series;
      const byKind = (a: { kind: string }, b: { kind: string }) => a.kind.localeCompare(b.kind);
      // As stored: through JSON (an infinite ratio becomes null).
      const direct = detectMeter(g, MODEL.asOf, thresholds)
        .map((d) => ({ kind: d.kind, evidence: JSON.parse(JSON.stringify(d.evidence)) as unknown }))
        .sort(byKind);
      const scanned = found
        .filter((a) => a.meterId === g.meterId)
        .map((a) => ({ kind: a.kind, evidence: a.evidence as unknown }))
        .sort(byKind);
      expect(scanned, g.meterId).toEqual(direct);
    }
    expect(score.precision).toBeGreaterThanOrEqual(0.95);
    expect(score.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('estimates, regularises from a self-reading and refuses implausible ones on PostgreSQL', async () => {
    const rollups = new SqlRollupStore({ db });
    const estimation = new EstimationService({ db, rollups });
    await estimation.start();
    const selfReadings = new SelfReadingService({
      db,
      rollups,
      estimation,
      now: () => new Date('2026-12-05T12:00:00Z'),
    });
    await selfReadings.start();
    // M0000001 has data up to 2026-11-20: estimate the rest of November, then the customer reads.
    const e = await estimation.estimate({
      meterId: 'M0000001',
      obis: '1-0:1.8.0',
      from: '2026-11-21',
      to: '2026-11-30',
    });
    expect(e.status).toBe('estimated');
    const last = (
      await db.query<{ last_value: number }>(
        `SELECT last_value FROM daily_consumption WHERE meter_id = 'M0000001' AND quality = 'measured' ORDER BY day DESC LIMIT 1`,
      )
    ).rows[0]!.last_value;
    const refused = await selfReadings.submit({
      meterId: 'M0000001',
      obis: '1-0:1.8.0',
      index: last + 1e6,
      submittedBy: 'c',
    });
    expect(refused).toMatchObject({ ok: false, reason: { code: 'MG_ERR_SELF_READING_IMPLAUSIBLE_JUMP' } });
    const ok = await selfReadings.submit({
      meterId: 'M0000001',
      obis: '1-0:1.8.0',
      index: last + e.estimated + 40,
      readAt: new Date('2026-12-01T09:00:00Z'),
      submittedBy: 'c',
    });
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    expect(ok.regularisation).toMatchObject({ readingQuality: 'customer', readingDay: '2026-12-01' });
    expect(ok.regularisation!.difference).toBeCloseTo(40);
    expect((await estimation.estimates('M0000001'))[0]!.status).toBe('regularised');
  });
});
