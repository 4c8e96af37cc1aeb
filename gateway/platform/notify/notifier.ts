import { runMigrations, type SqlDatabase } from '../db/index.js';
import type { ChannelAddress, ChannelName, NotificationChannel } from './channels/channel.js';
import { NotifyError } from './errors.js';
import { NOTIFY_MIGRATIONS } from './migrations.js';
import { MessageOutbox } from './outbox/index.js';
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
  /** Providers of the channels; a channel a customer chose without a provider lands in the outbox only. */
  channels?: NotificationChannel[];
  /** The outbox every message goes through (default: one over `db` with `channels`). */
  outbox?: MessageOutbox;
  migrate?: boolean;
}

/**
 * Renders a notification in the customer's language and records it in the message outbox once per
 * channel they chose, which delivers it through the configured provider (or keeps it `outbox-only`
 * when none is). The outbox is keyed by (idempotency key, channel), so retries of the job or of the
 * whole request never repeat a channel that already went through. Throws when any channel failed,
 * after recording it, so the job runner retries with backoff.
 */
export class Notifier {
  private readonly options: NotifierOptions;
  private readonly preferences: SqlPreferencesStore;
  readonly outbox: MessageOutbox;

  constructor(options: NotifierOptions) {
    this.options = options;
    this.preferences = new SqlPreferencesStore({ db: options.db });
    this.outbox = options.outbox ?? new MessageOutbox({ db: options.db, channels: options.channels ?? [] });
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
    const message = renderMessage(n.kind, prefs.language, n.params);
    if (prefs.channels.length === 0) return { ...report, suppressed: 'no_channels' };
    for (const channel of prefs.channels) {
      const address = addressOf(prefs, channel);
      if (!address) {
        report.failed.push({ channel, error: 'no address configured' });
        continue;
      }
      const r = await this.outbox.sendTracked({
        channel,
        to: address.to,
        template: n.kind,
        language: prefs.language,
        subject: message.subject,
        text: message.text,
        dedupeKey: n.idempotencyKey,
        customerId: n.customerId,
        data: n.params,
        ...(address.secret ? { secret: address.secret } : {}),
      });
      if (r.status === 'failed') report.failed.push({ channel, error: r.reason ?? 'failed' });
      else if (r.attempted) report.sent.push(channel);
      else report.skipped.push(channel);
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

  /** Delivery history of a customer (newest first), from the outbox. */
  async deliveries(customerId: string, limit = 50): Promise<Record<string, unknown>[]> {
    return this.outbox.historyOf(customerId, limit);
  }
}

function addressOf(p: NotificationPreferences, channel: ChannelName): ChannelAddress | undefined {
  if (channel === 'webhook' && p.webhookUrl)
    return { to: p.webhookUrl, ...(p.webhookSecret ? { secret: p.webhookSecret } : {}) };
  if (channel === 'sms' && p.smsTo) return { to: p.smsTo };
  if (channel === 'email' && p.emailTo) return { to: p.emailTo };
  return undefined;
}
