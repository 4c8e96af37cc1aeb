import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { openDatabase, runMigrations, type SqlDatabase } from '../../gateway/platform/db/index.js';
import { ROLLUP_MIGRATIONS } from '../../gateway/metering/rollups/index.js';
import {
  ANALYTICS_MIGRATIONS,
  ANOMALY_STATUSES,
  AnomalyScanner,
  SqlAnomalyStore,
  SqlDailyBatchSource,
  dayString,
  isDayString,
  type AnomalyStatus,
} from '../../gateway/metering/analytics/index.js';

interface DbOpts {
  databaseUrl?: string;
  dataDir?: string;
}

async function open(ctx: CliContext, o: DbOpts): Promise<SqlDatabase> {
  const url = o.databaseUrl ?? ctx.env.DATABASE_URL;
  const db = await openDatabase(
    url ? { url } : { dataDir: o.dataDir ?? ctx.env.METERGATE_DATA_DIR ?? '.data' },
  );
  await runMigrations(db, [...ROLLUP_MIGRATIONS, ...ANALYTICS_MIGRATIONS]);
  return db;
}

function withDb(cmd: Command): Command {
  return cmd
    .option('--database-url <url>', 'PostgreSQL URL (default: env DATABASE_URL; else embedded PGlite)')
    .option('--data-dir <dir>', 'embedded database directory (default: env METERGATE_DATA_DIR or .data)');
}

/** `metergate analytics …`: run an anomaly scan over the daily rollups, list anomalies. */
export function registerAnalyticsCommands(program: Command, ctx: CliContext): void {
  const analytics = program.command('analytics').description('consumption analytics on the daily rollups');

  withDb(
    analytics
      .command('scan')
      .description(
        'compare every meter with the same weekdays last year (and zero/backwards/disconnected checks); prints the report as JSON',
      )
      .option('--as-of <day>', 'last day of the windows, YYYY-MM-DD (default: yesterday UTC)')
      .option('--obis <code>', 'register', '1-0:1.8.0')
      .option('--batch-size <n>', 'meters per SQL batch', '2000'),
  ).action(async (o: DbOpts & { asOf?: string; obis: string; batchSize: string }) => {
    const asOf = o.asOf ?? dayString(Math.floor(Date.now() / 86_400_000) - 1);
    if (!isDayString(asOf)) {
      ctx.stderr.write(`--as-of must be a day YYYY-MM-DD, got ${JSON.stringify(o.asOf)}\n`);
      ctx.exitCode = 2;
      return;
    }
    const batchSize = Number(o.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      ctx.stderr.write(`--batch-size must be a positive integer, got ${JSON.stringify(o.batchSize)}\n`);
      ctx.exitCode = 2;
      return;
    }
    const db = await open(ctx, o);
    try {
      const scanner = new AnomalyScanner({
        source: new SqlDailyBatchSource({ db }),
        store: new SqlAnomalyStore({ db }),
        batchSize,
      });
      const report = await scanner.scan({ asOf, obis: o.obis });
      ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } finally {
      await db.close();
    }
  });

  withDb(
    analytics
      .command('anomalies')
      .description('list stored anomalies as JSON, newest first')
      .option('--status <status>', 'open | acknowledged | resolved')
      .option('--meter <id>', 'one meter')
      .option('--limit <n>', 'at most this many', '100'),
  ).action(async (o: DbOpts & { status?: string; meter?: string; limit: string }) => {
    if (o.status && !(ANOMALY_STATUSES as readonly string[]).includes(o.status)) {
      ctx.stderr.write(`--status must be open, acknowledged or resolved, got ${JSON.stringify(o.status)}\n`);
      ctx.exitCode = 2;
      return;
    }
    const db = await open(ctx, o);
    try {
      const list = await new SqlAnomalyStore({ db }).list({
        ...(o.status ? { status: o.status as AnomalyStatus } : {}),
        ...(o.meter ? { meterId: o.meter } : {}),
        limit: Number(o.limit) || 100,
      });
      ctx.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    } finally {
      await db.close();
    }
  });
}
