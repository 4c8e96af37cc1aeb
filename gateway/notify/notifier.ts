import { runMigrations, type SqlDatabase } from '../db/index.js';
import type { ChannelAddress, ChannelName, NotificationChannel } from './channels/channel.js';
import { NotifyError } from './errors.js';
import { NOTIFY_MIGRATIONS } from './migrations.js';
import { SqlPreferencesStore, type NotificationPreferences } from './preferences.js';
import { isNotificationKind, renderMessage, type NotificationKind } from './templates.js';

export interface Notification {
  /** Same key → delivered once per channel, however often it is submitted or retried. */
  idempotencyKey: string;
  customerId: string;
  kind: NotificationKind;
  params: Record<string, string | number>;
}

export interface DeliveryReport {
  idempotencyKey: string;
  sent: ChannelName[];
  /** Already delivered (or being delivered) by an earlier attempt. */
  skipped: ChannelName[];
  failed: { channel: ChannelName; error: string }[];
  /** No preferences, no channel, or this kind muted. */
  suppressed?: 'no_preferences' | 'muted' | 'no_channels';
}

export interface NotifierOptions {
  db: SqlDatabase;
  channels: NotificationChannel[];
  /** A delivery left 'sending' this long (a crash mid-send) may be retried (default 10 min). */
  staleSendingMs?: number;
  migrate?: boolean;
}

const CLAIM_SQL = `
INSERT INTO notify_deliveries (idempotency_key, channel, customer_id, kind, status)
VALUES ($1, $2, $3, $4, 'sending')
ON CONFLICT (idempotency_key, channel) DO UPDATE SET status = 'sending',
  attempts = notify_deliveries.attempts + 1, updated_at = now()
WHERE notify_deliveries.status = 'failed'
   OR (notify_deliveries.status = 'sending' AND notify_deliveries.updated_at < now() - make_interval(secs => $5))
RETURNING attempts`;

/**
 * Renders a notification in the customer's language and sends it on each channel they enabled. A
 * (key, channel) row is claimed before sending and marked sent after, so retries (of the job or of the
 * whole request) never repeat a channel that already went through. Throws when any channel failed,
 * after recording it, so the job runner retries with backoff.
 */
export class Notifier {
  private readonly options: NotifierOptions;
  private readonly preferences: SqlPreferencesStore;

  constructor(options: NotifierOptions) {
    this.options = options;
    this.preferences = new SqlPreferencesStore({ db: options.db });
  }

  async start(): Promise<void> {
    if (this.options.migrate !== false) await runMigrations(this.options.db, NOTIFY_MIGRATIONS);
  }

  get preferencesStore(): SqlPreferencesStore {
    return this.preferences;
  }

  async deliver(n: Notification): Promise<DeliveryReport> {
    if (!n.idempotencyKey || !n.customerId || !isNotificationKind(n.kind)) {
      throw new NotifyError(
        'MG_ERR_NOTIFY_BAD_REQUEST',
        'idempotencyKey, customerId and a known kind are required',
      );
    }
    const report: DeliveryReport = { idempotencyKey: n.idempotencyKey, sent: [], skipped: [], failed: [] };
    const prefs = await this.preferences.load(n.customerId);
    if (!prefs) return { ...report, suppressed: 'no_preferences' };
    if (prefs.mutedKinds?.includes(n.kind)) return { ...report, suppressed: 'muted' };
    const message = { ...renderMessage(n.kind, prefs.language, n.params), idempotencyKey: n.idempotencyKey };
    const targets = this.options.channels.filter((c) => prefs.channels.includes(c.name));
    if (targets.length === 0) return { ...report, suppressed: 'no_channels' };
    const db = this.options.db;
    for (const channel of targets) {
      const address = addressOf(prefs, channel.name);
      if (!address) {
        report.failed.push({ channel: channel.name, error: 'no address configured' });
        continue;
      }
      const claim = await db.query(CLAIM_SQL, [
        n.idempotencyKey,
        channel.name,
        n.customerId,
        n.kind,
        (this.options.staleSendingMs ?? 600_000) / 1000,
      ]);
      if (claim.rows.length === 0) {
        report.skipped.push(channel.name);
        continue;
      }
      try {
        await channel.send(
          { ...message, customerId: n.customerId, kind: n.kind, language: prefs.language, params: n.params },
          address,
        );
        await db.query(
          `UPDATE notify_deliveries SET status = 'sent', sent_at = now(), updated_at = now(), last_error = NULL
           WHERE idempotency_key = $1 AND channel = $2`,
          [n.idempotencyKey, channel.name],
        );
        report.sent.push(channel.name);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        await db.query(
          `UPDATE notify_deliveries SET status = 'failed', last_error = $3, updated_at = now()
           WHERE idempotency_key = $1 AND channel = $2`,
          [n.idempotencyKey, channel.name, error.slice(0, 500)],
        );
        report.failed.push({ channel: channel.name, error });
      }
    }
    if (report.failed.length) {
      throw Object.assign(
        new NotifyError(
          'MG_ERR_NOTIFY_CHANNEL_FAILED',
          report.failed.map((f) => `${f.channel}: ${f.error}`).join('; '),
        ),
        { report },
      );
    }
    return report;
  }

  /** Delivery history of a customer (newest first). */
  async deliveries(customerId: string, limit = 50): Promise<Record<string, unknown>[]> {
    const { rows } = await this.options.db.query(
      `SELECT idempotency_key AS "idempotencyKey", channel, kind, status, attempts, last_error AS "lastError",
              created_at AS "createdAt", sent_at AS "sentAt"
       FROM notify_deliveries WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2`,
      [customerId, limit],
    );
    return rows;
  }
}

function addressOf(p: NotificationPreferences, channel: ChannelName): ChannelAddress | undefined {
  if (channel === 'webhook' && p.webhookUrl)
    return { to: p.webhookUrl, ...(p.webhookSecret ? { secret: p.webhookSecret } : {}) };
  if (channel === 'sms' && p.smsTo) return { to: p.smsTo };
  if (channel === 'email' && p.emailTo) return { to: p.emailTo };
  return undefined;
}
