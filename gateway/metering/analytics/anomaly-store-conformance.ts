import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations, type SqlDatabase } from '../../platform/index.js';
import type { AnomalyStore } from './anomaly-store.js';
import { ANALYTICS_MIGRATIONS } from './migrations.js';
import type { DetectedAnomaly } from './types.js';

/** The behaviour every AnomalyStore shows (run on PGlite in the unit tier, PostgreSQL in integration). */
export function describeAnomalyStore(
  name: string,
  open: () => Promise<{ db: SqlDatabase; store: (db: SqlDatabase) => AnomalyStore }>,
  dispose?: () => Promise<void>,
): void {
  describe(`AnomalyStore conformance: ${name}`, () => {
    let db: SqlDatabase;
    let store: AnomalyStore;
    beforeAll(async () => {
      const o = await open();
      db = o.db;
      await runMigrations(db, ANALYTICS_MIGRATIONS);
      store = o.store(db);
    });
    afterAll(async () => {
      await db?.close();
      await dispose?.();
    });

    const det = (meterId: string, day: string, extra: Record<string, unknown> = {}): DetectedAnomaly => ({
      meterId,
      obis: '1-0:1.8.0',
      kind: 'high_consumption',
      day,
      evidence: { ratio: 2.1, ...extra },
    });

    it('opens one episode per (meter, register, kind) and folds repeated detections into it', async () => {
      const r1 = await store.record([det('A', '2026-11-01'), det('B', '2026-11-01')]);
      expect(r1).toMatchObject({ opened: 2, updated: 0, suppressed: 0 });
      const r2 = await store.record([det('A', '2026-11-02', { ratio: 2.5 }), det('A', '2026-11-02')]);
      expect(r2).toMatchObject({ opened: 0, updated: 1 });
      const [a] = await store.list({ meterId: 'A' });
      expect(a).toMatchObject({
        status: 'open',
        firstDay: '2026-11-01',
        lastDay: '2026-11-02',
        detections: 2,
      });
      expect(a!.createdAt).toBeInstanceOf(Date);
      const other = await store.record([{ ...det('A', '2026-11-02'), kind: 'zero_consumption' }]);
      expect(other.opened).toBe(1);
    });

    it('moves through open → acknowledged → resolved and refuses other changes', async () => {
      const [a] = await store.list({ meterId: 'B' });
      const ack = await store.transition(a!.id, {
        status: 'acknowledged',
        by: 'op-1',
        note: 'site visit booked',
      });
      expect(ack).toMatchObject({
        status: 'acknowledged',
        acknowledgedBy: 'op-1',
        note: 'site visit booked',
      });
      await expect(store.transition(a!.id, { status: 'acknowledged', by: 'op-1' })).rejects.toMatchObject({
        code: 'MG_ERR_ANALYTICS_BAD_TRANSITION',
      });
      const res = await store.transition(a!.id, { status: 'resolved', by: 'op-2' });
      expect(res.status).toBe('resolved');
      expect(res.resolvedAt).toBeInstanceOf(Date);
      await expect(store.transition(999_999, { status: 'resolved', by: 'x' })).rejects.toMatchObject({
        code: 'MG_ERR_ANALYTICS_NOT_FOUND',
      });
    });

    it('does not reopen a resolved episode for a day it covered, opens a new one later', async () => {
      expect(await store.record([det('B', '2026-11-01')])).toMatchObject({ opened: 0, suppressed: 1 });
      expect(await store.record([det('B', '2026-11-09')])).toMatchObject({ opened: 1 });
      expect(await store.list({ meterId: 'B' })).toHaveLength(2);
    });

    it('filters and pages', async () => {
      expect((await store.list({ status: 'open', kind: 'zero_consumption' })).map((a) => a.meterId)).toEqual([
        'A',
      ]);
      const all = await store.list({ limit: 2 });
      expect(all).toHaveLength(2);
      const next = await store.list({ beforeId: all[1]!.id });
      expect(next.every((a) => a.id < all[1]!.id)).toBe(true);
      expect((await store.list({ meterIds: ['A'] })).length).toBe(2);
    });
  });
}
