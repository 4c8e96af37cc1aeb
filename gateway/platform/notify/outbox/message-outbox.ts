import { randomUUID } from 'node:crypto';
import type { SqlDatabase } from '../../db/index.js';
import { GatewayError } from '../../errors/index.js';
import type { Attachment, ChannelName, NotificationChannel } from '../channels/channel.js';
import { CHANNEL_NAMES } from '../channels/channel.js';
import type { Language } from '../templates.js';
import './errors.js';

export type OutboxStatus = 'queued' | 'sent' | 'failed' | 'outbox-only';

export interface OutboxMessageInput {
  channel: ChannelName;
  /** Phone number (E.164), e-mail address or webhook URL. */
  to: string;
  /** The template the text was rendered from (`low_credit`, `bill_issued`, `agency_password` …). */
  template: string;
  language: Language;
  /** The rendered text, as the recipient reads it. */
  text: string;
  subject?: string;
  attachments?: Attachment[];
  /** Same (dedupeKey, channel) → the same message, sent at most once, across retries and restarts. */
  dedupeKey?: string;
  /** The customer it is for, when known (the customer's history, the webhook body). */
  customerId?: string;
  /** Structured content (the webhook's `data`). */
  data?: Record<string, string | number | boolean | null>;
  /** Webhook signing secret: used for this delivery only, never stored. */
  secret?: string;
}

export interface OutboxListItem {
  id: string;
  channel: ChannelName;
  to: string;
  template: string;
  text: string;
  status: OutboxStatus;
  createdAt: string;
}

export interface OutboxMessageDetail extends OutboxListItem {
  language: Language;
  subject: string | null;
  reason: string | null;
  attempts: number;
  customerId: string | null;
  sentAt: string | null;
  attachments: { filename: string; contentType: string; size: number }[];
}

export interface MessageOutboxOptions {
  db: SqlDatabase;
  /** Configured providers; a channel without one records the message as `outbox-only`. */
  channels: NotificationChannel[];
  /** A message left `queued` this long (a crash mid-send) may be tried again (default 10 min). */
  staleQueuedMs?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

interface StoredAttachment {
  filename: string;
  contentType: string;
  size: number;
  content: string;
}

interface Row {
  id: string;
  dedupe_key: string | null;
  channel: ChannelName;
  to_address: string;
  template: string;
  language: Language;
  subject: string | null;
  text: string;
  customer_id: string | null;
  data: Record<string, unknown> | null;
  attachments: StoredAttachment[];
  status: OutboxStatus;
  reason: string | null;
  attempts: number;
  created_at: Date;
  sent_at: Date | null;
}

const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
const PHONE = /^\+?[0-9]{6,15}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const TEMPLATE = /^[a-z0-9][a-z0-9_.-]{0,59}$/;

function bad(reason: string): GatewayError {
  return new GatewayError('MG_ERR_OUTBOX_BAD_MESSAGE', { params: { reason } });
}

/** Checks a message before anything is stored; throws MG_ERR_OUTBOX_BAD_MESSAGE naming the field. */
export function validateOutboxMessage(m: OutboxMessageInput): void {
  if (!(CHANNEL_NAMES as readonly string[]).includes(m.channel)) throw bad(`unknown channel ${m.channel}`);
  if (typeof m.to !== 'string' || !m.to || m.to.length > 2000) throw bad('to is required');
  if (m.channel === 'sms' && !PHONE.test(m.to)) throw bad('to is not a phone number (E.164)');
  if (m.channel === 'email' && !EMAIL.test(m.to)) throw bad('to is not an e-mail address');
  if (m.channel === 'webhook' && !/^https?:\/\//.test(m.to)) throw bad('to is not an http(s) URL');
  if (!TEMPLATE.test(m.template ?? '')) throw bad('template must be a lower-case name');
  if (!['fr', 'ar', 'en'].includes(m.language)) throw bad('language must be fr, ar or en');
  if (typeof m.text !== 'string' || !m.text.trim() || m.text.length > 20_000) throw bad('text is required');
  if (m.subject !== undefined && (typeof m.subject !== 'string' || m.subject.length > 300))
    throw bad('subject is too long');
  if (
    m.dedupeKey !== undefined &&
    (typeof m.dedupeKey !== 'string' || !m.dedupeKey || m.dedupeKey.length > 200)
  )
    throw bad('dedupeKey must be 1 to 200 characters');
  const files = m.attachments ?? [];
  if (files.length && m.channel !== 'email') throw bad('only e-mails carry attachments');
  if (files.length > 10) throw bad('at most 10 attachments');
  for (const a of files) {
    if (!a.filename || /[/\\\r\n]/.test(a.filename) || a.filename.length > 200)
      throw bad('an attachment has no valid filename');
    if (!/^[a-z]+\/[a-z0-9.+-]+$/i.test(a.contentType ?? ''))
      throw bad(`attachment ${a.filename}: bad contentType`);
    if (!Buffer.isBuffer(a.content)) throw bad(`attachment ${a.filename}: content is not bytes`);
    if (a.content.length > MAX_ATTACHMENT_BYTES) throw bad(`attachment ${a.filename} is over 10 MB`);
  }
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The message outbox: every SMS, e-mail and webhook the system sends is first recorded here with
 * its rendered text, then handed to the channel's provider, and its status stored (`sent`,
 * `failed` with the reason, or `outbox-only` when no provider is configured — the demo's and the
 * tests' SMS and e-mail). A (dedupeKey, channel) pair is claimed in the database before the send,
 * so a retried or restarted caller gets the same message back and it is never sent twice; only a
 * `failed` message (or one left `queued` by a crash) is tried again, with the text stored first.
 */
export class MessageOutbox {
  private readonly options: MessageOutboxOptions;
  private readonly channels: Map<ChannelName, NotificationChannel>;

  constructor(options: MessageOutboxOptions) {
    this.options = options;
    this.channels = new Map(options.channels.map((c) => [c.name, c]));
  }

  /** Whether a real provider delivers this channel (otherwise messages stay `outbox-only`). */
  hasProvider(channel: ChannelName): boolean {
    return this.channels.has(channel);
  }

  async send(input: OutboxMessageInput): Promise<{ id: string; status: OutboxStatus }> {
    const { id, status } = await this.sendTracked(input);
    return { id, status };
  }

  /** send() that also says whether this call attempted the delivery (false: an earlier one did). */
  async sendTracked(
    input: OutboxMessageInput,
  ): Promise<{ id: string; status: OutboxStatus; attempted: boolean; reason?: string }> {
    validateOutboxMessage(input);
    const db = this.options.db;
    const attachments: StoredAttachment[] = (input.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: a.content.length,
      content: a.content.toString('base64'),
    }));
    const inserted = await db.query<Row>(
      `INSERT INTO notify_outbox (id, dedupe_key, channel, to_address, template, language, subject, text,
         customer_id, data, attachments, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'queued')
       ON CONFLICT (dedupe_key, channel) DO NOTHING RETURNING *`,
      [
        `msg_${randomUUID()}`,
        input.dedupeKey ?? null,
        input.channel,
        input.to,
        input.template,
        input.language,
        input.subject ?? null,
        input.text,
        input.customerId ?? null,
        input.data ? JSON.stringify(input.data) : null,
        JSON.stringify(attachments),
      ],
    );
    let row = inserted.rows[0];
    if (!row) {
      // Known key: try again only what failed (or was abandoned mid-send), as it was first rendered.
      const claimed = await db.query<Row>(
        `UPDATE notify_outbox SET status = 'queued', attempts = attempts + 1, reason = NULL, updated_at = now()
         WHERE dedupe_key = $1 AND channel = $2
           AND (status = 'failed' OR (status = 'queued' AND updated_at < now() - make_interval(secs => $3)))
         RETURNING *`,
        [input.dedupeKey, input.channel, (this.options.staleQueuedMs ?? 600_000) / 1000],
      );
      row = claimed.rows[0];
      if (!row) {
        const known = await db.query<Row>(
          'SELECT id, status, reason FROM notify_outbox WHERE dedupe_key = $1 AND channel = $2',
          [input.dedupeKey, input.channel],
        );
        const k = known.rows[0]!;
        return { id: k.id, status: k.status, attempted: false, ...(k.reason ? { reason: k.reason } : {}) };
      }
    }
    return this.deliver(row, input.secret);
  }

  private async deliver(
    row: Row,
    secret: string | undefined,
  ): Promise<{ id: string; status: OutboxStatus; attempted: boolean; reason?: string }> {
    const db = this.options.db;
    const channel = this.channels.get(row.channel);
    if (!channel) {
      await db.query(`UPDATE notify_outbox SET status = 'outbox-only', updated_at = now() WHERE id = $1`, [
        row.id,
      ]);
      return { id: row.id, status: 'outbox-only', attempted: true };
    }
    try {
      await channel.send(
        {
          idempotencyKey: row.dedupe_key ?? row.id,
          ...(row.customer_id ? { customerId: row.customer_id } : {}),
          kind: row.template,
          language: row.language,
          subject: row.subject ?? '',
          text: row.text,
          params: row.data ?? {},
          attachments: row.attachments.map((a) => ({
            filename: a.filename,
            contentType: a.contentType,
            content: Buffer.from(a.content, 'base64'),
          })),
        },
        { to: row.to_address, ...(secret ? { secret } : {}) },
      );
      await db.query(
        `UPDATE notify_outbox SET status = 'sent', sent_at = now(), updated_at = now(), reason = NULL WHERE id = $1`,
        [row.id],
      );
      return { id: row.id, status: 'sent', attempted: true };
    } catch (err) {
      const reason = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      await db.query(
        `UPDATE notify_outbox SET status = 'failed', reason = $2, updated_at = now() WHERE id = $1`,
        [row.id, reason],
      );
      this.options.log?.('warn', `outbox ${row.channel} message ${row.id} failed: ${reason}`);
      return { id: row.id, status: 'failed', attempted: true, reason };
    }
  }

  /** Newest first; by recipient, customer or channel. */
  async list(
    filter: { to?: string; customerId?: string; channel?: ChannelName; limit?: number } = {},
  ): Promise<OutboxListItem[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.to) where.push(`to_address = $${params.push(filter.to)}`);
    if (filter.customerId) where.push(`customer_id = $${params.push(filter.customerId)}`);
    if (filter.channel) where.push(`channel = $${params.push(filter.channel)}`);
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const { rows } = await this.options.db.query<Row>(
      `SELECT id, channel, to_address, template, text, status, created_at FROM notify_outbox
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel,
      to: r.to_address,
      template: r.template,
      text: r.text,
      status: r.status,
      createdAt: r.created_at.toISOString(),
    }));
  }

  async get(id: string): Promise<OutboxMessageDetail | undefined> {
    const { rows } = await this.options.db.query<Row>('SELECT * FROM notify_outbox WHERE id = $1', [id]);
    const r = rows[0];
    if (!r) return undefined;
    return {
      id: r.id,
      channel: r.channel,
      to: r.to_address,
      template: r.template,
      text: r.text,
      status: r.status,
      createdAt: r.created_at.toISOString(),
      language: r.language,
      subject: r.subject,
      reason: r.reason,
      attempts: r.attempts,
      customerId: r.customer_id,
      sentAt: iso(r.sent_at),
      attachments: r.attachments.map((a) => ({
        filename: a.filename,
        contentType: a.contentType,
        size: a.size,
      })),
    };
  }

  /** A customer's delivery history (the notifier's view), newest first. */
  async historyOf(customerId: string, limit = 50): Promise<Record<string, unknown>[]> {
    const { rows } = await this.options.db.query(
      `SELECT id, dedupe_key AS "idempotencyKey", channel, template AS kind, status, attempts, reason AS "lastError",
              created_at AS "createdAt", sent_at AS "sentAt"
       FROM notify_outbox WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2`,
      [customerId, limit],
    );
    return rows;
  }
}
