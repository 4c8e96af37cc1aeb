import { createHmac, timingSafeEqual } from 'node:crypto';
import { NotifyError } from '../errors.js';
import type { ChannelAddress, NotificationChannel, OutgoingMessage } from './channel.js';

export const SIGNATURE_HEADER = 'x-metergate-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * Signature over `${timestamp}.${body}` with HMAC-SHA256 (RFC 2104, FIPS 180-4), sent as
 * `t=<unix seconds>,v1=<hex>`: the timestamp inside the MAC stops replays of an old body.
 */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** For receivers: check a signature header, within `toleranceSeconds` of now. */
export function verifyWebhook(
  secret: string,
  header: string,
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const t = Number(m[1]);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).slice(-64), 'hex');
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

export interface WebhookChannelOptions {
  timeoutMs?: number;
}

/** HTTP POST of the notification as JSON, signed with the customer's secret. */
export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook' as const;
  private readonly options: WebhookChannelOptions;

  constructor(options: WebhookChannelOptions = {}) {
    this.options = options;
  }

  async send(message: OutgoingMessage, address: ChannelAddress): Promise<void> {
    if (!address.secret)
      throw new NotifyError('MG_ERR_NOTIFY_BAD_CONFIG', 'webhook without a signing secret');
    const body = JSON.stringify({
      id: message.idempotencyKey,
      kind: message.kind,
      customerId: message.customerId,
      language: message.language,
      subject: message.subject,
      text: message.text,
      data: message.params,
    });
    const res = await fetch(address.to, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhook(address.secret, body, Math.floor(Date.now() / 1000)),
        [IDEMPOTENCY_HEADER]: message.idempotencyKey,
      },
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new NotifyError('MG_ERR_NOTIFY_CHANNEL_FAILED', `webhook answered HTTP ${res.status}`);
  }
}
