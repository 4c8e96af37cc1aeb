import type { SqlExecutor } from '../db/index.js';
import { CHANNEL_NAMES, type ChannelName } from './channels/channel.js';
import { NotifyError } from './errors.js';
import { isLanguage, isNotificationKind, type Language, type NotificationKind } from './templates.js';

export interface NotificationPreferences {
  customerId: string;
  language: Language;
  /** Enabled channels; each needs its address below. */
  channels: ChannelName[];
  webhookUrl?: string | null;
  /** Write-only: stored for signing, never returned by get(). */
  webhookSecret?: string | null;
  smsTo?: string | null;
  emailTo?: string | null;
  mutedKinds?: NotificationKind[];
}

/** Preferences as read back: the secret is replaced by whether one is set. */
export type PublicPreferences = Omit<NotificationPreferences, 'webhookSecret'> & {
  webhookSecretSet: boolean;
};

/** Checks an untrusted preferences document (HTTP body); tagged result, never throws. */
export function validatePreferences(
  p: NotificationPreferences,
): { ok: true } | { ok: false; reason: string } {
  if (!isLanguage(p.language)) return { ok: false, reason: 'language must be fr, ar or en' };
  for (const c of p.channels)
    if (!(CHANNEL_NAMES as readonly string[]).includes(c))
      return { ok: false, reason: `unknown channel ${c}` };
  if (p.channels.includes('webhook')) {
    if (!p.webhookUrl || !/^https?:\/\//.test(p.webhookUrl))
      return { ok: false, reason: 'webhook channel needs an http(s) webhookUrl' };
  }
  if (p.channels.includes('sms') && !/^\+?[0-9]{6,15}$/.test(p.smsTo ?? '')) {
    return { ok: false, reason: 'sms channel needs smsTo as a phone number (E.164)' };
  }
  if (p.channels.includes('email') && !/^[^\s@]+@[^\s@]+$/.test(p.emailTo ?? '')) {
    return { ok: false, reason: 'email channel needs a valid emailTo' };
  }
  for (const k of p.mutedKinds ?? [])
    if (!isNotificationKind(k)) return { ok: false, reason: `unknown notification kind ${k}` };
  return { ok: true };
}

export class SqlPreferencesStore {
  private readonly db: SqlExecutor;

  constructor(options: { db: SqlExecutor }) {
    this.db = options.db;
  }

  /** Full preferences including the webhook secret: for the notifier only. */
  async load(customerId: string): Promise<NotificationPreferences | undefined> {
    const { rows } = await this.db.query<NotificationPreferences>(
      `SELECT customer_id AS "customerId", language, channels, webhook_url AS "webhookUrl", webhook_secret AS "webhookSecret",
              sms_to AS "smsTo", email_to AS "emailTo", muted_kinds AS "mutedKinds"
       FROM notify_preferences WHERE customer_id = $1`,
      [customerId],
    );
    return rows[0];
  }

  async get(customerId: string): Promise<PublicPreferences | undefined> {
    const p = await this.load(customerId);
    if (!p) return undefined;
    const { webhookSecret, ...rest } = p;
    return { ...rest, webhookSecretSet: Boolean(webhookSecret) };
  }

  /** Replace a customer's preferences; a missing webhookSecret keeps the stored one. */
  async set(p: NotificationPreferences): Promise<PublicPreferences> {
    const v = validatePreferences(p);
    if (!v.ok) throw new NotifyError('MG_ERR_NOTIFY_BAD_REQUEST', v.reason);
    if (
      p.channels.includes('webhook') &&
      !p.webhookSecret &&
      !(await this.load(p.customerId))?.webhookSecret
    ) {
      throw new NotifyError(
        'MG_ERR_NOTIFY_BAD_REQUEST',
        'webhook channel needs a webhookSecret for the signature',
      );
    }
    await this.db.query(
      `INSERT INTO notify_preferences (customer_id, language, channels, webhook_url, webhook_secret, sms_to, email_to, muted_kinds, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (customer_id) DO UPDATE SET language = excluded.language, channels = excluded.channels,
         webhook_url = excluded.webhook_url, webhook_secret = coalesce(excluded.webhook_secret, notify_preferences.webhook_secret),
         sms_to = excluded.sms_to, email_to = excluded.email_to, muted_kinds = excluded.muted_kinds, updated_at = now()`,
      [
        p.customerId,
        p.language,
        p.channels,
        p.webhookUrl ?? null,
        p.webhookSecret ?? null,
        p.smsTo ?? null,
        p.emailTo ?? null,
        p.mutedKinds ?? [],
      ],
    );
    return (await this.get(p.customerId))!;
  }
}
