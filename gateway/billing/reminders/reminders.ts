import type { SqlDatabase } from '../../platform/index.js';
import {
  hasNotifyPreferences,
  recipientSql,
  wantedChannels,
  type Recipient,
  type SendMessage,
} from '../delivery/bill-delivery.js';
import { addDays } from '../money/calendar.js';
import { formatCentimes } from '../money/rounding.js';

/** One step of the schedule: days from the payment deadline (J-3 → -3). */
export interface ReminderStep {
  step: string;
  days: number;
}

export const DEFAULT_REMINDER_SCHEDULE: readonly ReminderStep[] = [
  { step: 'J-3', days: -3 },
  { step: 'J0', days: 0 },
  { step: 'J+7', days: 7 },
  { step: 'J+15', days: 15 },
];

export interface ReminderOptions {
  db: SqlDatabase;
  send: SendMessage;
  schedule?: readonly ReminderStep[];
  /** A step later than this many days is not sent any more (recorded as skipped). Default 3. */
  graceDays?: number;
  clock?: () => Date;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface ReminderView {
  billNumber: string;
  customerId: string;
  step: string;
  channel: 'sms' | 'email' | 'none';
  scheduledFor: string;
  status: string;
  outboxId: string | null;
  at: string;
}

type Lang = 'fr' | 'ar' | 'en';
const TEXT: Record<Lang, (a: { n: string; amount: string; deadline: string; late: boolean }) => string> = {
  fr: (a) =>
    a.late
      ? `Rappel : votre facture ${a.n} (${a.amount} MAD) est impayée depuis le ${a.deadline}. Merci de la régler au plus vite.`
      : `Rappel : votre facture ${a.n} (${a.amount} MAD) est à payer avant le ${a.deadline}.`,
  ar: (a) =>
    a.late
      ? `تذكير: فاتورتكم رقم ${a.n} (${a.amount} درهم) غير مؤداة منذ ${a.deadline}. المرجو أداؤها في أقرب الآجال.`
      : `تذكير: فاتورتكم رقم ${a.n} (${a.amount} درهم) واجبة الأداء قبل ${a.deadline}.`,
  en: (a) =>
    a.late
      ? `Reminder: your bill ${a.n} (MAD ${a.amount}) has been unpaid since ${a.deadline}. Please pay it as soon as possible.`
      : `Reminder: your bill ${a.n} (MAD ${a.amount}) is to be paid by ${a.deadline}.`,
};
const SUBJECT: Record<Lang, (n: string) => string> = {
  fr: (n) => `Rappel : facture ${n}`,
  ar: (n) => `تذكير: الفاتورة ${n}`,
  en: (n) => `Reminder: bill ${n}`,
};

interface DueRow {
  number: string;
  customerId: string;
  deadline: string;
  open: number;
  recipient: Recipient;
  done: string[];
}

/**
 * Reminders (relances, issue 16 §9): a sweep on the job runner sends, for every bill still unpaid
 * (issued or partially paid, or carrying a plan's instalment still unpaid: never a paid, planned or
 * cancelled bill), the latest step of the schedule
 * that has come, by SMS and/or e-mail per the customer's preferences, through the message outbox.
 * Each (bill, step, channel) is claimed in `bill_reminders` before sending, so it goes out once; a
 * claim left by a crash is resent with the same outbox dedupe key. Earlier steps missed (the gateway
 * was down, a bill back-filled) are recorded as skipped, not sent late.
 */
export class BillReminders {
  readonly schedule: readonly ReminderStep[];
  constructor(private readonly o: ReminderOptions) {
    this.schedule = [...(o.schedule ?? DEFAULT_REMINDER_SCHEDULE)].sort((a, b) => a.days - b.days);
  }

  private today(): string {
    return (this.o.clock?.() ?? new Date()).toISOString().slice(0, 10);
  }

  /** One sweep; returns how many messages were handed to the outbox. */
  async sweep(limit = 500): Promise<number> {
    const today = this.today();
    const recipient = recipientSql(await hasNotifyPreferences(this.o.db));
    const first = this.schedule[0]!.days;
    const last = this.schedule.at(-1)!.days;
    const grace = this.o.graceDays ?? 3;
    const { rows } = await this.o.db.query<DueRow>(
      `SELECT bills.number, bills.customer_id AS "customerId", to_char(bills.payment_deadline, 'YYYY-MM-DD') AS deadline,
              COALESCE((SELECT sum(e.amount - COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.debit_entry = e.id), 0))
                 FROM account_entries e
                WHERE (e.bill_number = bills.number AND e.kind IN ('bill', 'regularisation') AND bills.status <> 'in-plan')
                   OR (e.kind = 'instalment' AND e.contract_number = bills.contract_number AND e.due_date = bills.payment_deadline)), 0) AS open,
              ${recipient} AS recipient,
              ARRAY(SELECT r.step FROM bill_reminders r WHERE r.bill_number = bills.number) AS done
         FROM bills
        WHERE bills.kind <> 'credit-note' AND bills.amount_ttc > 0
          AND (bills.status IN ('issued', 'partially-paid')
               -- a plan's instalment carried by this bill and still unpaid (a missed instalment)
               OR EXISTS (SELECT 1 FROM account_entries i WHERE i.kind = 'instalment' AND i.contract_number = bills.contract_number
                            AND i.due_date = bills.payment_deadline
                            AND i.amount > COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.debit_entry = i.id), 0)))
          AND bills.payment_deadline <= $1::date - $2::int AND bills.payment_deadline >= $1::date - $3::int
        ORDER BY bills.payment_deadline, bills.number LIMIT $4`,
      [today, first, last + grace, limit],
    );
    let sent = 0;
    for (const r of rows) {
      if (Number(r.open) <= 0) continue;
      const due = this.schedule.filter((s) => addDays(r.deadline, s.days) <= today);
      const current = due.at(-1);
      if (!current || r.done.includes(current.step)) continue;
      const missed = due.slice(0, -1).filter((s) => !r.done.includes(s.step));
      for (const s of missed) await this.claim(r, s, 'none', 'skipped');
      if (addDays(r.deadline, current.days + grace) < today) {
        await this.claim(r, current, 'none', 'skipped');
        continue;
      }
      sent += await this.remind(r, current);
    }
    return sent + (await this.resendClaims());
  }

  private async claim(
    r: Pick<DueRow, 'number' | 'customerId' | 'deadline'>,
    s: ReminderStep,
    channel: 'sms' | 'email' | 'none',
    status: string,
  ): Promise<boolean> {
    const res = await this.o.db.query(
      `INSERT INTO bill_reminders (bill_number, step, channel, customer_id, scheduled_for, status)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [r.number, s.step, channel, r.customerId, addDays(r.deadline, s.days), status],
    );
    return res.rowCount === 1;
  }

  private async remind(r: DueRow, s: ReminderStep): Promise<number> {
    const want = wantedChannels(r.recipient);
    const channels = (['sms', 'email'] as const).filter((c) => want[c]);
    if (!channels.length) {
      await this.claim(r, s, 'none', 'no-channel');
      return 0;
    }
    let sent = 0;
    for (const channel of channels) {
      if (!(await this.claim(r, s, channel, 'sending'))) continue;
      sent += await this.send(r, s, channel);
    }
    return sent;
  }

  private async send(r: DueRow, s: ReminderStep, channel: 'sms' | 'email'): Promise<number> {
    const lang = r.recipient.language;
    const text = TEXT[lang]({
      n: r.number,
      amount: formatCentimes(Number(r.open), lang),
      deadline: r.deadline,
      late: s.days > 0,
    });
    try {
      const res = await this.o.send({
        channel,
        to: channel === 'sms' ? r.recipient.mobile! : r.recipient.email!,
        template: 'bill-reminder',
        language: lang,
        text,
        ...(channel === 'email' ? { subject: SUBJECT[lang](r.number) } : {}),
        dedupeKey: `reminder:${r.number}:${s.step}:${channel}`,
      });
      await this.o.db.query(
        `UPDATE bill_reminders SET status = $4, outbox_id = $5, at = now() WHERE bill_number = $1 AND step = $2 AND channel = $3`,
        [r.number, s.step, channel, res.status, res.id],
      );
      return 1;
    } catch (err) {
      this.o.log?.(
        'warn',
        `reminder ${r.number} ${s.step} ${channel}: ${(err as Error).message}; retried next sweep`,
      );
      return 0;
    }
  }

  /** Claims left 'sending' (a crash between claim and send): sent again, the outbox dedupes. */
  private async resendClaims(): Promise<number> {
    const recipient = recipientSql(await hasNotifyPreferences(this.o.db));
    const { rows } = await this.o.db.query<DueRow & { step: string; channel: 'sms' | 'email' }>(
      `SELECT bills.number, bills.customer_id AS "customerId", to_char(bills.payment_deadline, 'YYYY-MM-DD') AS deadline,
              bills.amount_due AS open, ${recipient} AS recipient, r.step, r.channel
         FROM bill_reminders r JOIN bills ON bills.number = r.bill_number
        WHERE r.status = 'sending' AND r.at < now() - interval '1 minute' LIMIT 100`,
    );
    let sent = 0;
    for (const r of rows) {
      const s = this.schedule.find((x) => x.step === r.step) ?? { step: r.step, days: 0 };
      sent += await this.send(r, s, r.channel);
    }
    return sent;
  }

  private outbox: Promise<boolean> | undefined;

  /** The delivery status as the outbox knows it now (sent, failed…) when its table is here. */
  async list(customerId?: string, limit = 500): Promise<ReminderView[]> {
    this.outbox ??= this.o.db
      .query<{ t: string | null }>(`SELECT to_regclass('notify_outbox')::text AS t`)
      .then((r) => !!r.rows[0]?.t);
    const live = (await this.outbox)
      ? `COALESCE((SELECT o.status FROM notify_outbox o WHERE o.id = r.outbox_id), r.status)`
      : 'r.status';
    const { rows } = await this.o.db.query<ReminderView>(
      `SELECT r.bill_number AS "billNumber", r.customer_id AS "customerId", r.step, r.channel, to_char(r.scheduled_for, 'YYYY-MM-DD') AS "scheduledFor",
              ${live} AS status, r.outbox_id AS "outboxId",
              to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at
         FROM bill_reminders r
        WHERE ($1::text IS NULL OR r.customer_id = $1)
        ORDER BY r.scheduled_for DESC, r.bill_number DESC, r.step, r.channel LIMIT $2`,
      [customerId ?? null, limit],
    );
    return rows;
  }
}
