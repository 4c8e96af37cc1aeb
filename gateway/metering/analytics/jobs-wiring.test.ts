import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { EstimationService } from '../estimation/index.js';
import { InProcessJobRunner, type JobEvent } from '../../platform/index.js';
import { Notifier, type NotificationChannel, type OutgoingMessage } from '../../platform/index.js';
import { ROLLUP_MIGRATIONS, SqlRollupStore, type DailyRow } from '../rollups/index.js';
import { SqlAnomalyStore } from './anomaly-store.js';
import { SqlDailyBatchSource } from './daily-batches.js';
import { notifyOnOpened, registerAnalyticsJobs } from './jobs-wiring.js';
import { ANALYTICS_MIGRATIONS } from './migrations.js';
import { AnomalyScanner } from './scanner.js';

const DAY = 86_400_000;
let db: SqlDatabase;

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  await runMigrations(db, [...ROLLUP_MIGRATIONS, ...ANALYTICS_MIGRATIONS]);
  const rows: DailyRow[] = [];
  let index = 100;
  for (let d = Date.UTC(2024, 10, 1) / DAY; d <= Date.UTC(2026, 10, 20) / DAY; d++) {
    const day = new Date(d * DAY).toISOString().slice(0, 10);
    const c = day >= '2026-11-12' ? 25 : 8;
    rows.push({
      meterId: 'M-J',
      obis: '1-0:1.8.0',
      day,
      consumption: c,
      quality: 'measured',
      firstValue: index,
      lastValue: index + c,
    });
    index += c;
  }
  await new SqlRollupStore({ db }).upsertDaily(rows);
}, 60_000);
afterAll(() => db?.close());

describe('analytics jobs on the in-process runner', () => {
  it('repeated scans open one anomaly and notify the customer once, in their language; low credit goes out too', async () => {
    const runner = new InProcessJobRunner();
    const outbox: OutgoingMessage[] = [];
    const recorder: NotificationChannel = {
      name: 'sms',
      async send(m) {
        outbox.push(m);
      },
    };
    const notifier = new Notifier({ db, channels: [recorder] });
    await notifier.start();
    await notifier.preferencesStore.set({
      customerId: 'C-J',
      language: 'fr',
      channels: ['sms'],
      smsTo: '+212600000003',
    });
    const scanner = new AnomalyScanner({
      source: new SqlDailyBatchSource({ db }),
      store: new SqlAnomalyStore({ db }),
      onOpened: notifyOnOpened(runner, async (m) => (m === 'M-J' ? 'C-J' : undefined)),
    });
    const rollups = new SqlRollupStore({ db });
    const estimation = new EstimationService({ db, rollups });
    await estimation.start();
    registerAnalyticsJobs({
      runner,
      scanner,
      estimation,
      notifier,
      lowCreditCheck: async () => [
        {
          idempotencyKey: 'low-M-J-2026-11-21',
          customerId: 'C-J',
          kind: 'low_credit',
          params: { meterId: 'M-J', credit: 4.5, unit: 'kWh' },
        },
      ],
    });
    const events: JobEvent[] = [];
    runner.onEvent((e) => events.push(e));
    await runner.start();
    try {
      await runner.schedule('anomaly-scan', 'nightly', { everyMs: 150, data: { asOf: '2026-11-20' } });
      const until = async (cond: () => boolean) => {
        const end = Date.now() + 20_000;
        while (!cond()) {
          if (Date.now() > end) throw new Error(`timed out: ${JSON.stringify(events)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await until(
        () => events.filter((e) => e.queue === 'anomaly-scan' && e.status === 'completed').length >= 3,
      );
      await runner.unschedule('anomaly-scan', 'nightly');
      await until(() => outbox.length >= 1);
      await runner.enqueue('low-credit-check', {});
      await until(() => outbox.some((m) => m.kind === 'low_credit'));
      await runner.enqueue('estimation', { from: '2026-11-21', to: '2026-11-30' });
      await until(() => events.some((e) => e.queue === 'estimation' && e.status === 'completed'));
      const high = outbox.filter((m) => m.kind === 'high_consumption');
      expect(high).toHaveLength(1);
      expect(high[0]!.text).toMatch(
        /^Votre consommation est anormalement élevée par rapport à la même période de l’année dernière \(compteur M-J : 175 kWh/,
      );
      expect(outbox.find((m) => m.kind === 'low_credit')!.text).toContain('4,5 kWh');
      expect(events.find((e) => e.queue === 'estimation' && e.status === 'completed')!.result).toEqual([
        { obis: '1-0:1.8.0', estimated: 1, skipped: 0, regularised: 0 },
      ]);
      expect(events.some((e) => e.status === 'failed')).toBe(false);
    } finally {
      await runner.stop();
    }
  });
});
