import { createHash, randomUUID } from 'node:crypto';
import { GatewayError, type SqlDatabase, type SqlExecutor } from '../../platform/index.js';
import type { SendMessage } from './accounts.js';
import type { CheckedAttachment } from './attachments.js';
import './errors.js';
import { agencyMessage, STATUS_LABELS, type AgencyLanguage } from './messages.js';

/**
 * Claims (réclamations) and requests, tracked alike: a tracking number (RC-… claims, DM-… requests),
 * the workflow submitted → acknowledged → in-progress → resolved | rejected with a target date per
 * category, the status history, a message thread between the customer and the operator, attachments,
 * and an SMS to the customer at each change of status (through the outbox).
 */
export const CLAIM_CATEGORIES = {
  'bill-contested': 15,
  'estimated-index-contested': 10,
  'meter-fault': 5,
  outage: 2,
  'token-not-accepted': 2,
  'payment-not-credited': 5,
  other: 15,
} as const;
export const REQUEST_CATEGORIES = {
  connection: 30,
  subscription: 10,
  termination: 10,
  'tariff-change': 15,
  'contact-change': 5,
  'payment-facilities': 10,
  information: 5,
} as const;
export type CaseKind = 'claim' | 'request';
export const STATUSES = ['submitted', 'acknowledged', 'in-progress', 'resolved', 'rejected'] as const;
export type CaseStatus = (typeof STATUSES)[number];
const RANK: Record<CaseStatus, number> = {
  submitted: 0,
  acknowledged: 1,
  'in-progress': 2,
  resolved: 3,
  rejected: 3,
};

export interface NewCase {
  kind: CaseKind;
  category: string;
  subject: string;
  message: string;
  bill?: string;
  meter?: string;
  token?: string;
  details?: Record<string, string | number | boolean>;
}

/** A filed connection request as another domain sees it: who asks, and where to connect. */
export interface FiledConnectionRequest {
  trackingNumber: string;
  customerId: string;
  address: string | null;
  lat?: number;
  lon?: number;
  subject?: string;
}

/**
 * Called inside the filing's transaction when a connection request is filed (the field domain opens
 * its installation work order there; the composition root wires it). A throw files nothing.
 */
export type ConnectionRequested = (tx: SqlExecutor, request: FiledConnectionRequest) => Promise<unknown>;

/**
 * Where a connection is asked for: `details.address` (required) and, optionally, the position
 * `details.lat` and `details.lon` (WGS 84, both or neither). Anything else is refused, nothing stored.
 */
export function connectionPlace(details: NewCase['details']): {
  address: string;
  lat?: number;
  lon?: number;
} {
  const bad = (field: string) =>
    new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: `/details/${field}` } });
  const address = details?.address;
  if (typeof address !== 'string' || !address.trim()) throw bad('address');
  const { lat, lon } = details ?? {};
  if (lat === undefined && lon === undefined) return { address: address.trim() };
  if (typeof lat !== 'number' || !Number.isFinite(lat) || Math.abs(lat) > 90) throw bad('lat');
  if (typeof lon !== 'number' || !Number.isFinite(lon) || Math.abs(lon) > 180) throw bad('lon');
  return { address: address.trim(), lat, lon };
}

export interface CaseSummary {
  trackingNumber: string;
  kind: CaseKind;
  category: string;
  subject: string;
  status: CaseStatus;
  targetDate: string;
  overdue: boolean;
  customerId: string;
  createdAt: string;
  updatedAt: string;
}

export interface CaseDetail extends CaseSummary {
  message: string;
  bill: string | null;
  meter: string | null;
  token: string | null;
  details: Record<string, unknown>;
  history: { status: CaseStatus; at: string; actor: string; note: string | null }[];
  messages: { author: 'customer' | 'operator'; text: string; at: string }[];
  attachments: { id: string; filename: string; contentType: string; size: number; url: string }[];
}

const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

const SUMMARY = `tracking_number AS "trackingNumber", kind, category, subject, status,
  to_char(target_date, 'YYYY-MM-DD') AS "targetDate", customer_id AS "customerId", created_at AS "createdAt",
  updated_at AS "updatedAt"`;

type Row = Omit<CaseSummary, 'overdue' | 'createdAt' | 'updatedAt'> & { createdAt: Date; updatedAt: Date };

export class CaseDesk {
  private connectionRequested: ConnectionRequested | undefined;

  constructor(
    private readonly o: { db: SqlDatabase; send: SendMessage; agencyUrl: string; now: () => Date },
  ) {}

  /** What a filed connection request sets going (the composition root: an installation work order). */
  onConnectionRequest(hook: ConnectionRequested): void {
    this.connectionRequested = hook;
  }

  private today(): string {
    return this.o.now().toISOString().slice(0, 10);
  }

  private summary(r: Row): CaseSummary {
    const open = r.status !== 'resolved' && r.status !== 'rejected';
    return {
      ...r,
      overdue: open && r.targetDate < this.today(),
      createdAt: new Date(r.createdAt).toISOString(),
      updatedAt: new Date(r.updatedAt).toISOString(),
    };
  }

  /** Files a case with its attachments in one transaction (nothing stored when any part is refused). */
  async file(customerId: string, c: NewCase, files: CheckedAttachment[]): Promise<CaseDetail> {
    const days = (c.kind === 'claim' ? CLAIM_CATEGORIES : REQUEST_CATEGORIES) as Record<string, number>;
    const target = days[c.category];
    if (target === undefined)
      throw new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: `category ${c.category}` } });
    const connection = c.kind === 'request' && c.category === 'connection';
    const place = connection ? connectionPlace(c.details) : undefined;
    const now = this.o.now();
    const trackingNumber = await this.o.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ n: string }>(`SELECT nextval('agency_case_seq')::text AS n`);
      const tn = `${c.kind === 'claim' ? 'RC' : 'DM'}-${now.getUTCFullYear()}-${rows[0]!.n.padStart(6, '0')}`;
      await tx.query(
        `INSERT INTO agency_cases (tracking_number, kind, category, customer_id, subject, message, bill, meter, token,
           details, status, target_date, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'submitted', $11, $12, $12)`,
        [
          tn,
          c.kind,
          c.category,
          customerId,
          c.subject,
          c.message,
          c.bill ?? null,
          c.meter ?? null,
          c.token ?? null,
          JSON.stringify(c.details ?? {}),
          addDays(this.today(), target),
          now,
        ],
      );
      await this.event(tx, tn, 'submitted', 'customer', null, now);
      for (const f of files) await this.storeAttachment(tx, tn, f);
      if (place && this.connectionRequested)
        await this.connectionRequested(tx, { trackingNumber: tn, customerId, subject: c.subject, ...place });
      return tn;
    });
    return this.detail(trackingNumber);
  }

  private async event(
    tx: SqlExecutor,
    tn: string,
    status: CaseStatus,
    actor: string,
    note: string | null,
    at: Date,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO agency_case_events (tracking_number, seq, status, actor, note, at)
       SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5 FROM agency_case_events WHERE tracking_number = $1`,
      [tn, status, actor, note, at],
    );
  }

  private async storeAttachment(tx: SqlExecutor, tn: string, f: CheckedAttachment): Promise<void> {
    const count = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM agency_attachments WHERE tracking_number = $1`,
      [tn],
    );
    if (count.rows[0]!.n >= 5)
      throw new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: 'at most 5 attachments' } });
    await tx.query(
      `INSERT INTO agency_attachments (id, tracking_number, filename, content_type, size, sha256, content)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        randomUUID(),
        tn,
        f.filename,
        f.contentType,
        f.content.length,
        createHash('sha256').update(f.content).digest('hex'),
        f.content,
      ],
    );
  }

  async addAttachments(tn: string, files: CheckedAttachment[]): Promise<CaseDetail> {
    await this.o.db.transaction(async (tx) => {
      for (const f of files) await this.storeAttachment(tx, tn, f);
    });
    return this.detail(tn);
  }

  /** A case; with `customerId`, only that customer's (another's answers like an unknown number). */
  async detail(tn: string, customerId?: string): Promise<CaseDetail> {
    const { db } = this.o;
    const { rows } = await db.query<
      Row & {
        message: string;
        bill: string | null;
        meter: string | null;
        token: string | null;
        details: Record<string, unknown>;
      }
    >(
      `SELECT ${SUMMARY}, message, bill, meter, token, details FROM agency_cases WHERE tracking_number = $1`,
      [tn],
    );
    const row = rows[0];
    if (!row || (customerId !== undefined && row.customerId !== customerId))
      throw new GatewayError('MG_ERR_AGENCY_NOT_FOUND', { params: { what: tn } });
    const history = await db.query<{ status: CaseStatus; at: Date; actor: string; note: string | null }>(
      `SELECT status, at, actor, note FROM agency_case_events WHERE tracking_number = $1 ORDER BY seq`,
      [tn],
    );
    const messages = await db.query<{ author: 'customer' | 'operator'; text: string; at: Date }>(
      `SELECT author, text, at FROM agency_case_messages WHERE tracking_number = $1 ORDER BY seq`,
      [tn],
    );
    const files = await db.query<{ id: string; filename: string; contentType: string; size: number }>(
      `SELECT id, filename, content_type AS "contentType", size FROM agency_attachments
        WHERE tracking_number = $1 ORDER BY created_at, id`,
      [tn],
    );
    const base = row.kind === 'claim' ? 'claims' : 'requests';
    return {
      ...this.summary(row),
      message: row.message,
      bill: row.bill,
      meter: row.meter,
      token: row.token,
      details: row.details ?? {},
      history: history.rows.map((h) => ({ ...h, at: new Date(h.at).toISOString() })),
      messages: messages.rows.map((m) => ({ ...m, at: new Date(m.at).toISOString() })),
      attachments: files.rows.map((f) => ({ ...f, url: `/api/agency/${base}/${tn}/attachments/${f.id}` })),
    };
  }

  async list(q: {
    customerId?: string;
    kind?: CaseKind;
    status?: CaseStatus;
    category?: string;
    overdue?: boolean;
    limit?: number;
  }): Promise<CaseSummary[]> {
    const { rows } = await this.o.db.query<Row>(
      `SELECT ${SUMMARY} FROM agency_cases
        WHERE ($1::text IS NULL OR customer_id = $1) AND ($2::text IS NULL OR kind = $2)
          AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR category = $4)
          AND ($5::boolean IS NOT TRUE OR (status NOT IN ('resolved', 'rejected') AND target_date < $6::date))
        ORDER BY created_at DESC, tracking_number DESC LIMIT $7`,
      [
        q.customerId ?? null,
        q.kind ?? null,
        q.status ?? null,
        q.category ?? null,
        q.overdue ?? null,
        this.today(),
        q.limit ?? 200,
      ],
    );
    return rows.map((r) => this.summary(r));
  }

  async attachment(
    tn: string,
    id: string,
    customerId?: string,
  ): Promise<{ filename: string; contentType: string; content: Buffer }> {
    await this.detail(tn, customerId); // ownership
    const { rows } = await this.o.db.query<{ filename: string; contentType: string; content: Uint8Array }>(
      `SELECT filename, content_type AS "contentType", content FROM agency_attachments
        WHERE tracking_number = $1 AND id = $2`,
      [tn, id],
    );
    if (!rows[0]) throw new GatewayError('MG_ERR_AGENCY_NOT_FOUND', { params: { what: id } });
    return { ...rows[0], content: Buffer.from(rows[0].content) };
  }

  /** An open connection request (for the field domain's installation work orders). */
  async findConnectionRequest(tn: string): Promise<FiledConnectionRequest | undefined> {
    const { rows } = await this.o.db.query<{
      customerId: string;
      subject: string;
      details: NewCase['details'];
    }>(
      `SELECT customer_id AS "customerId", subject, details FROM agency_cases
        WHERE tracking_number = $1 AND kind = 'request' AND category = 'connection'
          AND status NOT IN ('resolved', 'rejected')`,
      [tn],
    );
    const row = rows[0];
    if (!row) return undefined;
    const d = row.details ?? {};
    const pos = typeof d.lat === 'number' && typeof d.lon === 'number' ? { lat: d.lat, lon: d.lon } : {};
    const address = typeof d.address === 'string' ? d.address : null;
    return { trackingNumber: tn, customerId: row.customerId, subject: row.subject, address, ...pos };
  }

  /**
   * Moves a case forward inside `tx` (locked while it moves); a case already there or beyond stays
   * as it is (`tell` absent). `tell` sends the customer's status SMS: call it after the commit.
   */
  private async forward(
    tx: SqlExecutor,
    tn: string,
    status: CaseStatus,
    actor: string,
    note: string | null,
    smsNote: boolean,
  ): Promise<{ from: CaseStatus; tell?: () => Promise<void> }> {
    const { rows } = await tx.query<{ status: CaseStatus; customerId: string }>(
      `SELECT status, customer_id AS "customerId" FROM agency_cases WHERE tracking_number = $1 FOR UPDATE`,
      [tn],
    );
    const current = rows[0];
    if (!current) throw new GatewayError('MG_ERR_AGENCY_NOT_FOUND', { params: { what: tn } });
    if (RANK[status] <= RANK[current.status]) return { from: current.status };
    const now = this.o.now();
    await tx.query(`UPDATE agency_cases SET status = $2, updated_at = $3 WHERE tracking_number = $1`, [
      tn,
      status,
      now,
    ]);
    await this.event(tx, tn, status, actor, note, now);
    const tell = () =>
      this.notify(
        current.customerId,
        tn,
        'agency_case_update',
        (lang) => ({ status: STATUS_LABELS[status]![lang], note: note && smsNote ? `${note} ` : '' }),
        `case:${tn}:${status}`,
      );
    return { from: current.status, tell };
  }

  /** The operator moves a case forward (never back); the customer is told by SMS. */
  async move(tn: string, status: CaseStatus, actor: string, note?: string): Promise<CaseDetail> {
    const step = await this.o.db.transaction((tx) => this.forward(tx, tn, status, actor, note ?? null, true));
    if (!step.tell)
      throw new GatewayError('MG_ERR_AGENCY_BAD_TRANSITION', { params: { from: step.from, to: status } });
    await step.tell();
    return this.detail(tn);
  }

  /**
   * Another domain's work moves a case inside that domain's transaction (a work order taken up or
   * completed): forward only, a case already there or closed stays. The note goes to the history,
   * not into the SMS (it is not in the customer's language). Returns the SMS to send after commit.
   */
  async advance(
    tx: SqlExecutor,
    tn: string,
    status: 'in-progress' | 'resolved',
    actor: string,
    note: string,
  ): Promise<(() => Promise<void>) | undefined> {
    return (await this.forward(tx, tn, status, actor, note, false)).tell;
  }

  async addMessage(
    tn: string,
    author: 'customer' | 'operator',
    text: string,
    customerId?: string,
  ): Promise<CaseDetail> {
    const c = await this.detail(tn, customerId);
    await this.o.db.query(
      `INSERT INTO agency_case_messages (tracking_number, seq, author, text, at)
       SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4 FROM agency_case_messages WHERE tracking_number = $1`,
      [tn, author, text, this.o.now()],
    );
    if (author === 'operator') await this.notify(c.customerId, tn, 'agency_case_message', () => ({}));
    return this.detail(tn);
  }

  private async notify(
    customerId: string,
    tn: string,
    template: 'agency_case_update' | 'agency_case_message',
    params: (lang: AgencyLanguage) => Record<string, string>,
    dedupeKey?: string,
  ): Promise<void> {
    const { rows } = await this.o.db.query<{
      mobile: string;
      email: string | null;
      language: AgencyLanguage;
    }>(`SELECT mobile, email, language FROM agency_users WHERE customer_id = $1`, [customerId]);
    const user = rows[0];
    if (!user) return;
    await this.o.send({
      channel: 'sms',
      to: user.mobile,
      customerId,
      ...(dedupeKey ? { dedupeKey } : {}),
      ...agencyMessage(template, user.language, {
        trackingNumber: tn,
        url: this.o.agencyUrl,
        ...params(user.language),
      }),
    });
  }
}
