import type { SqlDatabase } from '../../platform/index.js';
import { BILL_COLUMNS, effectiveStatus } from '../bills/bill-store.js';
import type { Bill } from '../bills/bill.js';
import { formatCentimes } from '../money/rounding.js';
import { renderBillPdf } from '../pdf/bill-pdf.js';
import { billLinkToken } from './bill-links.js';

type Lang = 'fr' | 'ar' | 'en';

/** The message outbox's send (gateway/platform/notify), injected by the composition root. */
export interface OutboxMessage {
  channel: 'sms' | 'email';
  to: string;
  template: string;
  language: Lang;
  text: string;
  subject?: string;
  attachments?: { filename: string; contentType: string; content: Buffer }[];
  dedupeKey?: string;
}
export type SendMessage = (message: OutboxMessage) => Promise<{ id: string; status: string }>;

export interface BillDeliveryOptions {
  db: SqlDatabase;
  send: SendMessage;
  /** Public base URL of the gateway for the SMS link (e.g. https://agence.example.ma). */
  publicUrl: string;
  linkSecret: string;
  issuer?: string;
  /** Bills issued longer ago than this are not sent (back-filled history, demo data). Default 40. */
  maxAgeDays?: number;
  clock?: () => Date;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface Recipient {
  name: string;
  mobile: string | null;
  email: string | null;
  language: Lang;
  notify: { sms?: boolean; email?: boolean } | null;
}

/**
 * The customer of the `bills` row as a Recipient (a SQL expression over the bills table). With
 * `preferences` (the notify module's table is present), a customer's own notification preferences
 * (channels, SMS number, e-mail address), when set, take precedence over the account's.
 */
export function recipientSql(preferences: boolean): string {
  if (!preferences) {
    return `(SELECT json_build_object('name', c.name, 'mobile', COALESCE(c.mobile, c.phone), 'email', c.email,
  'language', c.language, 'notify', c.notify) FROM customers c WHERE c.id = bills.customer_id)`;
  }
  return `(SELECT json_build_object('name', c.name, 'mobile', COALESCE(p.sms_to, c.mobile, c.phone),
  'email', COALESCE(p.email_to, c.email), 'language', c.language,
  'notify', CASE WHEN p.customer_id IS NULL THEN c.notify::json
    ELSE json_build_object('sms', 'sms' = ANY (p.channels), 'email', 'email' = ANY (p.channels)) END)
  FROM customers c LEFT JOIN notify_preferences p ON p.customer_id = c.id WHERE c.id = bills.customer_id)`;
}

/** Whether the notify module's preferences table is in this database (once per database). */
const PREFERENCES = new WeakMap<object, Promise<boolean>>();
export function hasNotifyPreferences(db: SqlDatabase): Promise<boolean> {
  let p = PREFERENCES.get(db);
  if (!p) {
    p = db
      .query<{ t: string | null }>(`SELECT to_regclass('notify_preferences')::text AS t`)
      .then((r) => !!r.rows[0]?.t);
    PREFERENCES.set(db, p);
  }
  return p;
}

/** The channels the customer's notification preferences and contact details allow. */
export function wantedChannels(r: Recipient): { sms: boolean; email: boolean } {
  return {
    sms: (r.notify?.sms ?? true) && !!r.mobile,
    email: (r.notify?.email ?? !!r.email) && !!r.email,
  };
}

const SMS: Record<
  Lang,
  (a: { n: string; amount: string; due: string; deadline: string; link: string }) => string
> = {
  fr: (a) => `Facture ${a.n} : ${a.amount} MAD, échéance ${a.due}, à payer avant le ${a.deadline}. ${a.link}`,
  ar: (a) =>
    `فاتورة ${a.n}: ${a.amount} درهم، تاريخ الاستحقاق ${a.due}، آخر أجل للأداء ${a.deadline}. ${a.link}`,
  en: (a) => `Bill ${a.n}: MAD ${a.amount}, due ${a.due}, pay by ${a.deadline}. ${a.link}`,
};
const SUBJECT: Record<Lang, (n: string) => string> = {
  fr: (n) => `Votre facture ${n}`,
  ar: (n) => `فاتورتكم رقم ${n}`,
  en: (n) => `Your bill ${n}`,
};
const BODY: Record<
  Lang,
  (a: { name: string; n: string; amount: string; due: string; deadline: string }) => string
> = {
  fr: (a) =>
    `Bonjour ${a.name},\n\nVotre facture ${a.n} est disponible (PDF joint).\nMontant à payer : ${a.amount} MAD\nÉchéance : ${a.due}\nDate limite de paiement : ${a.deadline}\n`,
  ar: (a) =>
    `السلام عليكم ${a.name}،\n\nفاتورتكم رقم ${a.n} متوفرة (مرفقة بصيغة PDF).\nالمبلغ الواجب أداؤه: ${a.amount} درهم\nتاريخ الاستحقاق: ${a.due}\nآخر أجل للأداء: ${a.deadline}\n`,
  en: (a) =>
    `Hello ${a.name},\n\nYour bill ${a.n} is available (PDF attached).\nAmount to pay: MAD ${a.amount}\nDue date: ${a.due}\nPayment deadline: ${a.deadline}\n`,
};

/**
 * Delivery on issue (issue 16 §10): an SMS with the amount, due date, deadline and a short signed
 * link, and an e-mail with the PDF attached, per the customer's preferences. It is a sweep over
 * bills without a delivery record, so a crash between issuing and sending only delays the message;
 * the outbox's dedupe key (`bill:<number>:<channel>`) keeps a retried send from going out twice.
 */
export class BillDelivery {
  private readonly o: BillDeliveryOptions;

  constructor(options: BillDeliveryOptions) {
    this.o = options;
  }

  link(number: string): string {
    return `${this.o.publicUrl.replace(/\/$/, '')}/b/${billLinkToken(this.o.linkSecret, number)}`;
  }

  /** Sends what is pending; returns how many messages were handed to the outbox. */
  async deliverPending(limit = 200): Promise<number> {
    const now = this.o.clock?.() ?? new Date();
    const since = new Date(now.getTime() - (this.o.maxAgeDays ?? 40) * 86_400_000).toISOString().slice(0, 10);
    const { rows } = await this.o.db.query<Bill & { recipient: Recipient; done: string[] }>(
      `SELECT ${BILL_COLUMNS}, ${recipientSql(await hasNotifyPreferences(this.o.db))} AS recipient,
              ARRAY(SELECT d.channel FROM bill_deliveries d WHERE d.bill_number = bills.number) AS done
         FROM bills
        WHERE bills.issued_on >= $2 AND bills.issued_on <= $3
          AND (SELECT count(*) FROM bill_deliveries d WHERE d.bill_number = bills.number) < 2
        ORDER BY bills.year, bills.seq LIMIT $1`,
      [limit, since, now.toISOString().slice(0, 10)],
    );
    let sent = 0;
    for (const b of rows) sent += await this.deliver(b, b.recipient, new Set(b.done));
    return sent;
  }

  private async record(
    bill: string,
    channel: 'sms' | 'email',
    outboxId: string | null,
    status: string,
    error?: string,
  ) {
    await this.o.db.query(
      `INSERT INTO bill_deliveries (bill_number, channel, outbox_id, status, error) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (bill_number, channel) DO UPDATE SET outbox_id = EXCLUDED.outbox_id, status = EXCLUDED.status,
         error = EXCLUDED.error, at = now()`,
      [bill, channel, outboxId, status, error ?? null],
    );
  }

  private async deliver(bill: Bill, r: Recipient, done: Set<string>): Promise<number> {
    const lang = r.language;
    const today = (this.o.clock?.() ?? new Date()).toISOString().slice(0, 10);
    const amount = formatCentimes(Math.max(bill.amountDue, 0), lang);
    const args = { n: bill.number, amount, due: bill.dueDate, deadline: bill.paymentDeadline };
    let sent = 0;
    const { sms: wantSms, email: wantEmail } = wantedChannels(r);
    if (done.has('sms')) {
      // already sent or skipped
    } else if (wantSms) {
      try {
        const res = await this.o.send({
          channel: 'sms',
          to: r.mobile!,
          template: 'bill-issued',
          language: lang,
          text: SMS[lang]({ ...args, link: this.link(bill.number) }),
          dedupeKey: `bill:${bill.number}:sms`,
        });
        await this.record(bill.number, 'sms', res.id, res.status);
        sent++;
      } catch (err) {
        this.o.log?.(
          'warn',
          `bill ${bill.number}: SMS not sent (${(err as Error).message}); retried next sweep`,
        );
      }
    } else await this.record(bill.number, 'sms', null, 'skipped');
    if (done.has('email')) {
      // already sent or skipped
    } else if (wantEmail) {
      try {
        const pdf = await renderBillPdf(
          { ...bill, status: effectiveStatus(bill, today) },
          { lang, issuer: this.o.issuer, customerName: r.name },
        );
        const res = await this.o.send({
          channel: 'email',
          to: r.email!,
          template: 'bill-issued',
          language: lang,
          subject: SUBJECT[lang](bill.number),
          text: BODY[lang]({ ...args, name: r.name }),
          attachments: [
            { filename: `facture-${bill.number}.pdf`, contentType: 'application/pdf', content: pdf },
          ],
          dedupeKey: `bill:${bill.number}:email`,
        });
        await this.record(bill.number, 'email', res.id, res.status);
        sent++;
      } catch (err) {
        this.o.log?.(
          'warn',
          `bill ${bill.number}: e-mail not sent (${(err as Error).message}); retried next sweep`,
        );
      }
    } else await this.record(bill.number, 'email', null, 'skipped');
    return sent;
  }
}
