import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.js';
import {
  MessageOutbox,
  NOTIFY_MIGRATIONS,
  PostgresDatabase,
  runMigrations,
  type SqlDatabase,
} from '../../platform/index.js';
import type { OutboxMessage } from '../delivery/bill-delivery.js';
import { BillingRunner } from '../run/billing-run.js';
import { billingTestApp, type BillingTestApp } from '../testing/http.js';
import { addAccount, measuredIndex, migrateBilling } from '../testing/world.js';

let db: SqlDatabase;
let drop: () => Promise<void>;
let t: BillingTestApp;
let now = new Date('2026-02-26T08:00:00Z');
const clock = () => now;
const at = (day: string) => (now = new Date(`${day}T08:00:00Z`));

beforeAll(async () => {
  const created = await createTestDatabase('mg_billing_remind');
  drop = created.drop;
  db = await new PostgresDatabase({ url: created.url }).start();
  await runMigrations(db, NOTIFY_MIGRATIONS);
  await migrateBilling(db);
  await addAccount(db, 1);
  await addAccount(db, 2, { email: 'client2@example.ma' });
  await db.query(`UPDATE customers SET notify = '{"sms": false, "email": true}' WHERE id = 'cust-2'`);
  // Customer 3 set their own notification preferences (the notify module's): e-mail, another address.
  await addAccount(db, 3);
  await db.query(
    `INSERT INTO notify_preferences (customer_id, channels, email_to) VALUES ('cust-3', '{email}', 'pref3@example.ma')`,
  );
  for (const n of [1, 2, 3]) await measuredIndex(db, `M-${n}`, '2026-01-31', 1180);
  const runner = new BillingRunner({ db, clock: () => new Date('2026-02-05T00:00:00Z') });
  await runner.execute((await runner.create('2026-01', 'test')).id);
  // The real message outbox (no provider configured: messages are kept as outbox-only).
  const outbox = new MessageOutbox({ db, channels: [] });
  t = await billingTestApp(db, {
    clock,
    send: (m) => {
      messages.push(m);
      return outbox.send(m);
    },
  });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await db?.close();
  await drop?.();
});

const messages: OutboxMessage[] = [];
const reminders = async () => messages.filter((m) => m.template === 'bill-reminder');

describe('reminders on PostgreSQL (issue 16 §9)', () => {
  it('sends each step once per channel, per the preferences, even after a restart', async () => {
    const bill = (
      await db.query<{ d: string }>(`SELECT to_char(payment_deadline, 'YYYY-MM-DD') AS d FROM bills LIMIT 1`)
    ).rows[0]!.d;
    expect(bill).toBe('2026-03-02');
    at('2026-02-26');
    expect(await t.billing.remindNow()).toBe(0);
    at('2026-02-27'); // J-3
    expect(await t.billing.remindNow()).toBe(3);
    const sent = await reminders();
    expect(sent.map((m) => [m.channel, m.to])).toEqual([
      ['sms', '+212610000001'],
      ['email', 'client2@example.ma'],
      ['email', 'pref3@example.ma'],
    ]);
    expect(sent[0]!.text).toMatch(
      /^Rappel : votre facture 2026-000001 \(\d+,\d\d MAD\) est à payer avant le 2026-03-02\.$/,
    );
    expect(sent[0]!.dedupeKey).toBe('reminder:2026-000001:J-3:sms');
    expect(await t.billing.remindNow()).toBe(0);
    // A restarted gateway (a new feature on the same database) sends nothing again.
    const restarted = await billingTestApp(db, { clock }); // its own capturing outbox: must stay empty
    expect(await restarted.billing.remindNow()).toBe(0);
    expect(restarted.sent).toEqual([]);
    await restarted.close();
  });

  it('stops as soon as the bill is paid; a missed step is skipped, not sent late', async () => {
    const op = await t.key('operator');
    const paid = await t.call('POST', '/api/payments', op, {
      billNumber: '2026-000001',
      amount: 1_000_000,
      channel: 'agency',
      reference: 'AG-1',
    });
    expect(paid.statusCode).toBe(201);
    at('2026-03-02'); // J0
    expect(await t.billing.remindNow()).toBe(2);
    expect((await reminders()).slice(-2).map((m) => m.to)).toEqual([
      'client2@example.ma',
      'pref3@example.ma',
    ]);
    at('2026-03-18'); // J+7 was missed (gateway down), J+15 is due
    expect(await t.billing.remindNow()).toBe(2);
    expect((await reminders()).at(-1)!.text).toContain('impayée depuis le 2026-03-02');
    const list = (
      await t.call('GET', '/api/customers/cust-2/reminders', await t.key('customer', 'cust-2'))
    ).json();
    expect(list.schedule.map((s: { step: string }) => s.step)).toEqual(['J-3', 'J0', 'J+7', 'J+15']);
    expect(
      list.reminders.map(
        (r: { step: string; channel: string; status: string }) => `${r.step}/${r.channel}/${r.status}`,
      ),
    ).toEqual([
      'J+15/email/outbox-only',
      'J+7/none/skipped',
      'J0/email/outbox-only',
      'J-3/email/outbox-only',
    ]);
    const mine = (await t.call('GET', '/api/customers/cust-1/reminders', op)).json().reminders;
    expect(mine.map((r: { step: string }) => r.step)).toEqual(['J-3']);
    expect(
      (await t.call('GET', '/api/customers/cust-1/reminders', await t.key('customer', 'cust-2'))).statusCode,
    ).toBe(403);
  });
});
