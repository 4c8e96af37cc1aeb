import {
  BILLING_MIGRATIONS,
  BillReminders,
  BillingRunner,
  automaticPlans,
  instalmentsDue,
  recordPayment,
  EXAMPLE_POSTPAID_ELECTRICITY,
  EXAMPLE_POSTPAID_ELECTRICITY_2026,
  EXAMPLE_POSTPAID_WATER,
  createContract,
  createPostpaidCustomer,
  upsertTariffVersion,
} from '../../gateway/billing/index.js';
import {
  GatewayError,
  MessageOutbox,
  runMigrations,
  type SqlDatabase,
} from '../../gateway/platform/index.js';

/**
 * The demo's POSTPAID customers (kept apart from the prepaid ones: kind 'postpaid', their own
 * meters and contracts) with two years of history and real bills: monthly readings written as the
 * rollup engine would (daily consumption, the register index at each month's end), some months
 * without any reading (billed on an estimate), one customer's self-readings, one bimonthly water
 * contract, and one customer whose summer went unread for three months and is then regularised.
 * Idempotent: a restart bills only the periods not billed yet.
 */
interface DemoPostpaid {
  id: string;
  customerNumber: string;
  civility: 'M' | 'Mme';
  firstName: string;
  lastName: string;
  cin: string;
  birthDate: string;
  mobile: string;
  email?: string;
  language: 'fr' | 'ar' | 'en';
  contract: string;
  service: 'electricity' | 'water';
  meterId: string;
  frequency: 'monthly' | 'bimonthly';
  /** Mean daily use (kWh or m³) and how strongly summer (AC) / winter (heating) raise it. */
  perDay: number;
  summer: number;
  winter: number;
  /** Months (YYYY-MM) whose end index never arrived: estimated. */
  unread: string[];
  /** Months read by the customer (auto-relevé) instead of the remote reading. */
  selfRead?: string[];
  /** From this day on, use is multiplied by `boost` (a new appliance the estimates cannot know). */
  boostFrom?: string;
  boost?: number;
}

const SUBSCRIBED = '2024-11-01';
const HISTORY_FROM = '2024-06-01';

export const DEMO_POSTPAID: DemoPostpaid[] = [
  {
    id: 'PP-001',
    customerNumber: '3100000001',
    civility: 'M',
    firstName: 'Karim',
    lastName: 'Benali',
    cin: 'BE123456',
    birthDate: '1978-04-12',
    mobile: '+212661000001',
    email: 'karim.benali@example.ma',
    language: 'fr',
    contract: 'EL-31000001',
    service: 'electricity',
    meterId: 'PP-EL-0001',
    frequency: 'monthly',
    perDay: 5.2,
    summer: 0.6,
    winter: 0.3,
    unread: ['2025-03'],
  },
  {
    id: 'PP-002',
    customerNumber: '3100000002',
    civility: 'Mme',
    firstName: 'Fatima Zahra',
    lastName: 'El Idrissi',
    cin: 'AB234567',
    birthDate: '1985-09-30',
    mobile: '+212661000002',
    email: 'fz.elidrissi@example.ma',
    language: 'ar',
    contract: 'EL-31000002',
    service: 'electricity',
    meterId: 'PP-EL-0002',
    frequency: 'monthly',
    // Summer 2026 unread for three months, then a real index: the regularised customer. A new air
    // conditioner doubled the use that summer, so the estimates (from the two previous summers) fell
    // short and the regularisation is well above her usual bills: automatically spread over 6 months.
    perDay: 6.5,
    summer: 1.4,
    winter: 0.2,
    unread: ['2026-06', '2026-07', '2026-08'],
    boostFrom: '2026-06-01',
    boost: 2,
  },
  {
    id: 'PP-003',
    customerNumber: '3100000003',
    civility: 'M',
    firstName: 'Youssef',
    lastName: 'Amrani',
    cin: 'CD345678',
    birthDate: '1969-01-05',
    mobile: '+212661000003',
    language: 'fr',
    contract: 'EL-31000003',
    service: 'electricity',
    meterId: 'PP-EL-0003',
    frequency: 'monthly',
    perDay: 3.1,
    summer: 0.2,
    winter: 0.2,
    unread: ['2025-12', '2026-10'],
    selfRead: ['2026-01', '2026-02', '2026-03'],
  },
  {
    id: 'PP-004',
    customerNumber: '3100000004',
    civility: 'Mme',
    firstName: 'Sarah',
    lastName: 'Lahlou',
    cin: 'EE456789',
    birthDate: '1992-11-18',
    mobile: '+212661000004',
    email: 'sarah.lahlou@example.com',
    language: 'en',
    contract: 'EL-31000004',
    service: 'electricity',
    meterId: 'PP-EL-0004',
    frequency: 'monthly',
    perDay: 9.5,
    summer: 0.8,
    winter: 0.4,
    unread: ['2025-08'],
  },
  {
    id: 'PP-005',
    customerNumber: '3100000005',
    civility: 'M',
    firstName: 'Hassan',
    lastName: 'Ouazzani',
    cin: 'F567890',
    birthDate: '1958-06-21',
    mobile: '+212661000005',
    email: 'h.ouazzani@example.ma',
    language: 'fr',
    contract: 'EA-31000005',
    service: 'water',
    meterId: 'PP-EA-0005',
    frequency: 'bimonthly',
    perDay: 0.45,
    summer: 0.3,
    winter: 0,
    unread: [],
  },
];

const DAY = 86_400_000;
const dayStr = (t: number) => new Date(t).toISOString().slice(0, 10);

/** Deterministic daily use: seasonal, with a weekly rhythm (no randomness: the demo is reproducible). */
function dailyUse(c: DemoPostpaid, day: string): number {
  const month = Number(day.slice(5, 7));
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  const season = month >= 6 && month <= 9 ? 1 + c.summer : month === 12 || month <= 2 ? 1 + c.winter : 1;
  const week = weekday === 0 || weekday === 6 ? 1.15 : 0.94;
  const boost = c.boostFrom && day >= c.boostFrom ? (c.boost ?? 1) : 1;
  return Math.round(c.perDay * season * week * boost * 1000) / 1000;
}

async function writeHistory(db: SqlDatabase, c: DemoPostpaid, until: string): Promise<void> {
  const obis = c.service === 'water' ? '8-0:1.0.0' : '1-0:1.8.0';
  const rows: { d: string; c: number; f: number; l: number | null }[] = [];
  const self: { at: string; v: number }[] = [];
  let index = 1000;
  for (let t = Date.parse(`${HISTORY_FROM}T00:00:00Z`); dayStr(t) <= until; t += DAY) {
    const day = dayStr(t);
    const use = dailyUse(c, day);
    const first = index;
    index += use;
    const month = day.slice(0, 7);
    const monthEnd = dayStr(t + DAY).slice(0, 7) !== month;
    if (c.unread.includes(month)) continue; // no remote reading at all that month
    if (c.selfRead?.includes(month)) {
      if (monthEnd) self.push({ at: `${day}T18:00:00Z`, v: Math.floor(index) });
      continue;
    }
    rows.push({ d: day, c: use, f: first, l: monthEnd ? index : null });
  }
  await db.query(
    `INSERT INTO daily_consumption (meter_id, obis, day, consumption, first_value, last_value, samples, quality)
     SELECT $1, $2, d::date, c, f, l, 96, 'measured' FROM jsonb_to_recordset($3::jsonb) AS x(d text, c float8, f float8, l float8)
     ON CONFLICT (meter_id, obis, day) DO NOTHING`,
    [c.meterId, obis, JSON.stringify(rows)],
  );
  for (const s of self) {
    await db.query(
      `INSERT INTO self_readings (meter_id, obis, index_value, read_at, status, submitted_by)
       SELECT $1, $2, $3, $4, 'accepted', $5 WHERE NOT EXISTS
         (SELECT 1 FROM self_readings WHERE meter_id = $1 AND obis = $2 AND read_at = $4)`,
      [c.meterId, obis, s.v, s.at, `customer:${c.id}`],
    );
  }
}

/**
 * The demo's postpaid world in full: its customers (seedDemoCustomers), then their billing history
 * (seedDemoBillingHistory). Idempotent: a restart on the same data directory adds nothing.
 */
export async function seedDemoBilling(
  db: SqlDatabase,
  options: { now?: Date; log?: (message: string) => void } = {},
): Promise<{ customers: number; bills: number }> {
  await seedDemoCustomers(db, options.now);
  return seedDemoBillingHistory(db, options);
}

/**
 * The postpaid customers and their contracts, with the tariffs they are billed on (what the agency
 * needs for the banner's customer to create an account), and their meters' daily consumption up to
 * last month (the reading round takes its previous indexes from it). A few statements per customer,
 * so the demo does it before its banner.
 */
export async function seedDemoCustomers(db: SqlDatabase, now = new Date()): Promise<void> {
  const lastMonthEnd = dayStr(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
  await runMigrations(db, BILLING_MIGRATIONS);
  for (const t of [EXAMPLE_POSTPAID_ELECTRICITY, EXAMPLE_POSTPAID_ELECTRICITY_2026, EXAMPLE_POSTPAID_WATER]) {
    await upsertTariffVersion(db, t);
  }
  for (const c of DEMO_POSTPAID) {
    const known = await db.query('SELECT 1 FROM customers WHERE id = $1', [c.id]);
    if (!known.rows.length) await createDemoCustomer(db, c);
    await writeHistory(db, c, lastMonthEnd);
  }
  // The contracts start at index 0 on paper: their first real index is the meter's (1000 + use), so
  // the opening bill would carry the whole register. Start them at the register on subscription day.
  for (const c of DEMO_POSTPAID) {
    await db.query(
      `UPDATE contracts SET initial_index = GREATEST(initial_index, COALESCE((SELECT floor(first_value) FROM daily_consumption
          WHERE meter_id = $1 AND day = $2), 0)) WHERE number = $3 AND NOT EXISTS (SELECT 1 FROM bills WHERE contract_number = $3)`,
      [c.meterId, SUBSCRIBED, c.contract],
    );
  }
}

async function createDemoCustomer(db: SqlDatabase, c: DemoPostpaid): Promise<void> {
  const {
    contract,
    service,
    meterId,
    frequency,
    perDay: _p,
    summer: _s,
    winter: _w,
    unread: _u,
    selfRead: _r,
    boostFrom: _bf,
    boost: _b,
    ...person
  } = c;
  await createPostpaidCustomer(db, { ...person, notify: { sms: true, email: !!c.email } });
  await createContract(db, {
    number: contract,
    customerId: c.id,
    service,
    meterId,
    tariffId: service === 'water' ? EXAMPLE_POSTPAID_WATER.id : EXAMPLE_POSTPAID_ELECTRICITY.id,
    frequency,
    billingDay: 1,
    subscribedAt: SUBSCRIBED,
    initialIndex: 0,
  });
}

/**
 * Every monthly billing run from the customers' subscription up to last month, the payments and the
 * reminders: the slow part (seconds), which the demo runs behind its banner. Needs seedDemoCustomers
 * first. Aborting stops between two months' runs; a later call carries on from there.
 */
export async function seedDemoBillingHistory(
  db: SqlDatabase,
  options: { now?: Date; log?: (message: string) => void; signal?: AbortSignal } = {},
): Promise<{ customers: number; bills: number }> {
  const now = options.now ?? new Date();
  const aborted = () => options.signal?.aborted ?? false;
  const lastMonthEnd = dayStr(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
  // As the gateway runs it: instalments falling due on the bills, automatic plans.
  const runner = new BillingRunner({ db, clock: () => now, instalmentsDue, afterIssue: automaticPlans() });
  let bills = 0;
  for (let m = SUBSCRIBED.slice(0, 7); `${m}-28` <= lastMonthEnd;) {
    if (aborted()) return { customers: DEMO_POSTPAID.length, bills };
    let runId: string;
    try {
      runId = (await runner.create(m, 'demo')).id;
    } catch (err) {
      // A demo stopped mid-run left it 'running': resume that one.
      if (!(err instanceof GatewayError) || err.code !== 'MG_ERR_BILLING_RUN_BUSY') throw err;
      runId = (err.details as { runId: string }).runId;
    }
    bills += (await runner.execute(runId)).issued;
    const [y, mo] = m.split('-').map(Number) as [number, number];
    m = new Date(Date.UTC(y, mo, 1)).toISOString().slice(0, 7);
  }
  if (aborted()) return { customers: DEMO_POSTPAID.length, bills };
  const paid = await payDemoBills(db);
  const reminded = await remindDemoBills(db, now);
  options.log?.(
    `demo billing: ${DEMO_POSTPAID.length} postpaid customers, ${bills} bills issued, ${paid} paid, ${reminded} reminders in the outbox`,
  );
  return { customers: DEMO_POSTPAID.length, bills };
}

/** Who pays in the demo: everyone but PP-003 pays every bill but the latest (not due yet); PP-003 stopped paying two bills ago. */
const UNPAID_LATEST: Record<string, number> = { 'PP-003': 2 };
const CHANNELS = ['agency', 'transfer', 'wallet', 'card'] as const;

/** Payments at the counter, by transfer, wallet or card (references DEMO-<bill>: idempotent on restart). */
async function payDemoBills(db: SqlDatabase): Promise<number> {
  let paid = 0;
  for (const c of DEMO_POSTPAID) {
    const { rows } = await db.query<{ number: string; amount: number; status: string }>(
      `SELECT number, amount_ttc + instalments_due AS amount, status FROM bills
        WHERE customer_id = $1 AND kind <> 'credit-note' ORDER BY period_to DESC, number DESC`,
      [c.id],
    );
    for (const [i, b] of rows.entries()) {
      if (i < (UNPAID_LATEST[c.id] ?? 1) || !['issued', 'partially-paid'].includes(b.status)) continue;
      if (Number(b.amount) <= 0) continue;
      await recordPayment(db, {
        billNumber: b.number,
        amount: Number(b.amount),
        channel: CHANNELS[i % CHANNELS.length]!,
        reference: `DEMO-${b.number}`,
        recordedBy: 'demo',
      }).catch((err: unknown) => {
        // A bill already settled by an earlier payment's surplus: nothing to add.
        if (!(err instanceof GatewayError)) throw err;
      });
      paid++;
    }
  }
  return paid;
}

/**
 * The reminder sweep replayed over the last 40 days (as the hourly job would have run), its messages
 * in the outbox an operator opens in the UI (`outbox-only` where no SMS/e-mail provider is set).
 * Each (bill, step, channel) is claimed once, so a restart adds nothing.
 */
async function remindDemoBills(db: SqlDatabase, now: Date): Promise<number> {
  const outbox = new MessageOutbox({ db, channels: [] });
  let day = new Date(now.getTime() - 40 * DAY);
  const reminders = new BillReminders({ db, send: (m) => outbox.send(m), clock: () => day });
  let sent = 0;
  for (; day <= now; day = new Date(day.getTime() + DAY)) sent += await reminders.sweep();
  return sent;
}
