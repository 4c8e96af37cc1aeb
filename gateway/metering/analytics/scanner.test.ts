import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { ROLLUP_MIGRATIONS } from '../rollups/index.js';
import { SqlAnomalyStore } from './anomaly-store.js';
import { SqlDailyBatchSource } from './daily-batches.js';
import { DetectionScore } from './dataset/evaluate.js';
import { loadFleetIntoSql } from './dataset/load-into-sql.js';
import { generateMeter } from './dataset/load-model.js';
import { dayNumber } from './days.js';
import { detectMeter } from './detector.js';
import { StaticMeterContext } from './meter-context.js';
import { ANALYTICS_MIGRATIONS } from './migrations.js';
import { AnomalyScanner } from './scanner.js';

const MODEL = { seed: 11, asOf: dayNumber('2026-11-20'), days: 460 };

describe('AnomalyScanner end to end on PGlite', () => {
  let db: SqlDatabase;
  let loaded: Awaited<ReturnType<typeof loadFleetIntoSql>>;
  beforeAll(async () => {
    db = await new PgliteDatabase().start();
    await runMigrations(db, [...ROLLUP_MIGRATIONS, ...ANALYTICS_MIGRATIONS]);
    loaded = await loadFleetIntoSql(db, MODEL, 0, 200);
  });
  afterAll(() => db?.close());

  it('streams batches from daily_consumption, stores deduplicated anomalies matching ground truth', async () => {
    const store = new SqlAnomalyStore({ db });
    const opened: string[] = [];
    const scanner = new AnomalyScanner({
      source: new SqlDailyBatchSource({ db }),
      store,
      context: new StaticMeterContext({ meters: loaded.context }),
      thresholds: { byClass: { commercial: { minDifference: 60 } } },
      batchSize: 64,
      onOpened: async (a) => {
        opened.push(...a.map((x) => `${x.meterId}:${x.kind}:${x.status}`));
      },
    });
    const report = await scanner.scan({ asOf: '2026-11-20', obis: '1-0:1.8.0' });
    expect(report.meters).toBe(200);
    expect(report.opened).toBe(report.detections);
    expect(opened).toHaveLength(report.opened);
    const found = await store.list({ limit: 1000 });
    const score = new DetectionScore();
    for (const [meterId, truth] of loaded.truth) {
      score.add(
        meterId,
        truth,
        found.filter((a) => a.meterId === meterId).map((a) => a.kind),
      );
    }
    expect(score.truePositives).toBeGreaterThan(12);
    // The windows read from SQL decide exactly as the whole generated history does.
    const byKind = (a: { kind: string }, b: { kind: string }) => a.kind.localeCompare(b.kind);
    for (let i = 0; i < 200; i++) {
      const g = generateMeter(i, MODEL).series;
      const direct = detectMeter(g, MODEL.asOf, { byClass: { commercial: { minDifference: 60 } } })
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
    // Same scan again: nothing new is opened, every episode counts a second detection.
    const again = await scanner.scan({ asOf: '2026-11-20', obis: '1-0:1.8.0' });
    expect(again).toMatchObject({ opened: 0, updated: report.detections });
    expect((await store.list({ limit: 1000 })).every((a) => a.detections === 2)).toBe(true);
  });
});
