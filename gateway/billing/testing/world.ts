import { ROLLUP_MIGRATIONS, SELF_READING_MIGRATIONS } from '../../metering/index.js';
import { AUTH_MIGRATIONS, PgliteDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { createContract, createPostpaidCustomer } from '../accounts/account-registry.js';
import { BILLING_MIGRATIONS } from '../migrations.js';
import { EXAMPLE_POSTPAID_ELECTRICITY, EXAMPLE_POSTPAID_WATER } from '../money/money-tariff.js';
import { upsertTariffVersion } from '../money/tariff-store.js';

/** Every table billing reads (metering's rollups and self-readings, auth for HTTP tests) + its own. */
export const BILLING_TEST_MIGRATIONS = [
  ...AUTH_MIGRATIONS,
  ...ROLLUP_MIGRATIONS,
  ...SELF_READING_MIGRATIONS,
  ...BILLING_MIGRATIONS,
];

export async function migrateBilling(db: SqlDatabase): Promise<void> {
  await runMigrations(db, BILLING_TEST_MIGRATIONS);
  await upsertTariffVersion(db, EXAMPLE_POSTPAID_ELECTRICITY);
  await upsertTariffVersion(db, EXAMPLE_POSTPAID_WATER);
}

export async function billingWorld(): Promise<SqlDatabase> {
  const db = await new PgliteDatabase().start();
  await migrateBilling(db);
  return db;
}

/** A postpaid customer with one electricity contract on meter `M-<n>`. */
export async function addAccount(
  db: SqlDatabase,
  n: number,
  extra: {
    frequency?: 'monthly' | 'bimonthly';
    subscribedAt?: string;
    initialIndex?: number;
    email?: string;
  } = {},
): Promise<{ customerId: string; contract: string; meterId: string }> {
  const id = `cust-${n}`;
  await createPostpaidCustomer(db, {
    id,
    customerNumber: String(1_000_000 + n),
    civility: n % 2 ? 'M' : 'Mme',
    firstName: `Prénom${n}`,
    lastName: `Nom${n}`,
    mobile: `+2126${String(10_000_000 + n).slice(-8)}`,
    ...(extra.email ? { email: extra.email } : {}),
    language: 'fr',
  });
  const contract = `E-${String(n).padStart(7, '0')}`;
  await createContract(db, {
    number: contract,
    customerId: id,
    service: 'electricity',
    meterId: `M-${n}`,
    tariffId: EXAMPLE_POSTPAID_ELECTRICITY.id,
    frequency: extra.frequency ?? 'monthly',
    billingDay: 5,
    subscribedAt: extra.subscribedAt ?? '2024-01-01',
    initialIndex: extra.initialIndex ?? 1000,
  });
  return { customerId: id, contract, meterId: `M-${n}` };
}

/** A measured register value at the end of `day` (what the rollup engine writes). */
export async function measuredIndex(
  db: SqlDatabase,
  meterId: string,
  day: string,
  index: number,
  consumption = 10,
): Promise<void> {
  await db.query(
    `INSERT INTO daily_consumption (meter_id, obis, day, consumption, first_value, last_value, samples, quality)
     VALUES ($1, '1-0:1.8.0', $2, $3, $4, $5, 96, 'measured')
     ON CONFLICT (meter_id, obis, day) DO UPDATE SET last_value = EXCLUDED.last_value, consumption = EXCLUDED.consumption`,
    [meterId, day, consumption, index - consumption, index],
  );
}

/** Measured daily consumption for every day of [from, to] (no index): estimation history. */
export async function dailyHistory(
  db: SqlDatabase,
  meterId: string,
  from: string,
  to: string,
  perDay: number,
): Promise<void> {
  await db.query(
    `INSERT INTO daily_consumption (meter_id, obis, day, consumption, samples, quality)
     SELECT $1, '1-0:1.8.0', d::date, $4, 96, 'measured' FROM generate_series($2::date, $3::date, interval '1 day') AS d
     ON CONFLICT (meter_id, obis, day) DO NOTHING`,
    [meterId, from, to, perDay],
  );
}

export async function selfReading(
  db: SqlDatabase,
  meterId: string,
  at: string,
  index: number,
): Promise<void> {
  await db.query(
    `INSERT INTO self_readings (meter_id, obis, index_value, read_at, status, submitted_by)
     VALUES ($1, '1-0:1.8.0', $2, $3, 'accepted', 'customer')`,
    [meterId, index, at],
  );
}

/** Empties every table a billing test writes (TRUNCATE: the row triggers guard UPDATE and DELETE only). */
export async function resetBilling(db: SqlDatabase): Promise<void> {
  await db.exec(
    `TRUNCATE account_entries, bill_deliveries, bills, billing_runs, bill_counters, contracts, customers, daily_consumption, self_readings CASCADE`,
  );
}
