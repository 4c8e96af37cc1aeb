import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../platform/index.js';
import { getBill, listBills } from '../bills/bill-store.js';
import type { Bill } from '../bills/bill.js';
import {
  addAccount,
  billingWorld,
  resetBilling,
  dailyHistory,
  measuredIndex,
  selfReading,
} from '../testing/world.js';
import { BillingRunner } from './billing-run.js';

let db: SqlDatabase;
const clock = () => new Date('2026-06-20T08:00:00Z');

beforeAll(async () => {
  db = await billingWorld();
});
beforeEach(() => resetBilling(db));
afterAll(() => db.close());

async function run(period: string, options: { batchSize?: number } = {}) {
  const runner = new BillingRunner({ db, clock, batchSize: options.batchSize ?? 2 });
  const r = await runner.create(period, 'test');
  return runner.execute(r.id);
}

describe('billing run', () => {
  it('bills each contract once per period from measured indexes, numbers gap-free per year', async () => {
    for (let n = 1; n <= 5; n++) {
      await addAccount(db, n);
      await measuredIndex(db, `M-${n}`, '2026-01-31', 1000 + 100 * n);
    }
    const r = await run('2026-01');
    expect(r).toMatchObject({ status: 'completed', total: 5, issued: 5, skipped: 0, failed: 0, progress: 1 });
    const bills = (
      await db.query<{ number: string; contract_number: string; consumption: number; new_quality: string }>(
        'SELECT number, contract_number, consumption, new_quality FROM bills ORDER BY number',
      )
    ).rows;
    expect(bills.map((b) => b.number)).toEqual([
      '2026-000001',
      '2026-000002',
      '2026-000003',
      '2026-000004',
      '2026-000005',
    ]);
    expect(bills.map((b) => b.consumption)).toEqual([100, 200, 300, 400, 500]);
    expect(new Set(bills.map((b) => b.new_quality))).toEqual(new Set(['real']));

    // A second run of the same period issues nothing and takes no number.
    const again = await run('2026-01');
    expect(again).toMatchObject({ issued: 0, skipped: 5 });
    const { rows } = await db.query<{ last: number }>('SELECT last FROM bill_counters WHERE year = 2026');
    expect(rows[0]!.last).toBe(5);
  });

  it('carries the balance, uses self-readings, dates the bill from the billing day', async () => {
    const a = await addAccount(db, 1);
    await measuredIndex(db, 'M-1', '2026-01-31', 1120);
    await run('2026-01');
    await selfReading(db, 'M-1', '2026-02-27T10:00:00Z', 1300.7);
    await run('2026-02');
    const [feb, jan] = await listBills(db, { customerId: a.customerId }, '2026-06-20');
    expect(jan!.amountDue).toBe(jan!.amountTTC);
    expect(feb).toMatchObject({
      previousIndex: 1120,
      newIndex: 1300,
      newQuality: 'self-read',
      consumption: 180,
      issuedOn: '2026-03-05',
      dueDate: '2026-03-15',
      paymentDeadline: '2026-03-30',
      previousBalance: jan!.amountTTC,
    });
    expect(feb!.amountDue).toBe(jan!.amountTTC + feb!.amountTTC);
    // 180 kWh > 150: the selective rule prices the whole month at block 3.
    expect(feb!.lines.filter((l) => l.kind === 'energy').map((l) => [l.code, l.quantity])).toEqual([
      ['BLOCK_3', 180],
    ]);
    // Unpaid past its deadline: overdue (derived, the row is untouched).
    expect(feb!.status).toBe('overdue');
  });

  it('estimates from the same period of the two previous years, then regularises month by month', async () => {
    const a = await addAccount(db, 1, { subscribedAt: '2024-01-01', initialIndex: 0 });
    await dailyHistory(db, 'M-1', '2024-01-01', '2025-12-31', 5); // 5 kWh/day measured history
    await measuredIndex(db, 'M-1', '2025-12-31', 3650, 5);
    // Jan and Feb 2026 without any index: estimated from Jan/Feb 2024 and 2025 (5 kWh/day).
    const runner = new BillingRunner({ db, clock, batchSize: 10 });
    // Bill December first so the estimated chain starts after a real index.
    await runner.execute((await runner.create('2025-12', 't')).id);
    const dec = (await listBills(db, { customerId: a.customerId }, '2026-06-20'))[0]!;
    expect(dec.newIndex).toBe(3650);
    await run('2026-01');
    await run('2026-02');
    const est = await listBills(db, { customerId: a.customerId, from: '2026-01-01' }, '2026-06-20');
    expect(est.map((b) => [b.periodKey, b.estimated, b.consumption, b.newQuality])).toEqual([
      ['2026-02', true, 140, 'estimated'],
      ['2026-01', true, 155, 'estimated'],
    ]);
    // March: a real index showing far more was used (heating): 3650 + 900 over Jan–Mar.
    await measuredIndex(db, 'M-1', '2026-03-31', 4550, 10);
    await run('2026-03');
    const [reg] = await listBills(db, { customerId: a.customerId, from: '2026-03-01' }, '2026-06-20');
    expect(reg).toMatchObject({
      kind: 'regularisation',
      periodFrom: '2026-01-01',
      periodTo: '2026-03-31',
      consumption: 900,
    });
    expect(reg!.previousIndex).toBe(3650);
    expect(reg!.newIndex).toBe(4550);
    // 900 kWh spread by days over 31 + 28 + 31 days, each month on its own blocks.
    expect(reg!.months.map((m) => [m.month, m.consumption, m.billedConsumption])).toEqual([
      ['2026-01', 310, 155],
      ['2026-02', 280, 140],
      ['2026-03', 310, 0],
    ]);
    const energy = reg!.lines.filter((l) => l.kind === 'energy').map((l) => [l.month, l.code, l.quantity]);
    expect(energy).toEqual([
      ['2026-01', 'BLOCK_4', 310],
      ['2026-02', 'BLOCK_4', 280],
      ['2026-03', 'BLOCK_4', 310],
    ]);
    const deducted = reg!.lines.filter((l) => l.kind === 'deduction').reduce((s, l) => s + l.ttc, 0);
    expect(deducted).toBe(-(est[0]!.amountTTC + est[1]!.amountTTC));
    expect(reg!.amountTTC).toBe(reg!.lines.reduce((s, l) => s + l.ttc, 0));
    // April continues from the real index.
    await measuredIndex(db, 'M-1', '2026-04-30', 4700, 5);
    await run('2026-04');
    const [apr] = await listBills(db, { customerId: a.customerId, from: '2026-04-01' }, '2026-06-20');
    expect(apr).toMatchObject({ kind: 'periodic', previousIndex: 4550, consumption: 150 });
  });

  it('reports contracts it cannot bill instead of failing the run', async () => {
    await addAccount(db, 1, { subscribedAt: '2026-01-01' });
    await addAccount(db, 2, { subscribedAt: '2026-01-01' });
    await measuredIndex(db, 'M-2', '2026-01-31', 1050);
    const r = await run('2026-01');
    expect(r).toMatchObject({ status: 'completed', total: 2, issued: 1, failed: 1 });
    expect(r.errors[0]).toMatchObject({ contract: 'E-0000001', code: 'MG_ERR_BILLING_NO_INDEX' });
  });

  it('bills bimonthly contracts on even months only, over both months', async () => {
    await addAccount(db, 1, { frequency: 'bimonthly' });
    await measuredIndex(db, 'M-1', '2026-01-31', 1100);
    expect(await run('2026-01')).toMatchObject({ total: 0, issued: 0 });
    await measuredIndex(db, 'M-1', '2026-02-28', 1300);
    await run('2026-02');
    const [b] = await listBills(db, { customerId: 'cust-1' }, '2026-06-20');
    expect(b).toMatchObject({ periodFrom: '2026-01-01', periodTo: '2026-02-28', consumption: 300 });
    expect(b!.months.map((m) => m.month)).toEqual(['2026-01', '2026-02']);
  });

  it('refuses periods that have not ended and keeps issued bills immutable', async () => {
    const runner = new BillingRunner({ db, clock });
    await expect(runner.create('2026-06', 't')).rejects.toMatchObject({ code: 'MG_ERR_BILLING_BAD_PERIOD' });
    await expect(runner.create('2026-13', 't')).rejects.toMatchObject({ code: 'MG_ERR_BILLING_BAD_PERIOD' });
    await addAccount(db, 1);
    await measuredIndex(db, 'M-1', '2026-01-31', 1100);
    await run('2026-01');
    const b: Bill = await getBill(db, '2026-000001', '2026-01-01');
    await expect(
      db.query(`UPDATE bills SET amount_ht = 0, amount_ttc = tax WHERE number = $1`, [b.number]),
    ).rejects.toThrow(/never edited/);
    await expect(db.query(`DELETE FROM bills WHERE number = $1`, [b.number])).rejects.toThrow(
      /never deleted/,
    );
    await expect(db.query(`UPDATE account_entries SET amount = 0`)).rejects.toThrow(/append-only/);
    await db.query(`UPDATE bills SET status = 'paid' WHERE number = $1`, [b.number]);
    expect((await getBill(db, b.number, '2026-01-01')).status).toBe('paid');
  });
});
