import { NotifyError } from '../errors.js';
import type { ChannelAddress, NotificationChannel, OutgoingMessage } from './channel.js';

/**
 * Any HTTP SMS gateway (Kannel's sendsms, a provider's REST API …) by configuration: a URL template
 * and optionally a body template with `{to}`, `{text}`, `{id}` placeholders, and its authentication.
 */
export interface SmsGatewayOptions {
  /** e.g. `http://127.0.0.1:13013/cgi-bin/sendsms?to={to}&text={text}` (values URL-encoded). */
  urlTemplate: string;
  method?: 'GET' | 'POST';
  /** POST body, e.g. `{"to":"{to}","message":"{text}"}` (values JSON-escaped). */
  bodyTemplate?: string;
  contentType?: string;
  auth?:
    | { type: 'basic'; username: string; password: string }
    | { type: 'bearer'; token: string }
    | { type: 'header'; name: string; value: string };
  timeoutMs?: number;
}

export class SmsGatewayChannel implements NotificationChannel {
  readonly name = 'sms' as const;
  private readonly options: SmsGatewayOptions;

  constructor(options: SmsGatewayOptions) {
    this.options = options;
  }

  async send(message: OutgoingMessage, address: ChannelAddress): Promise<void> {
    const o = this.options;
    if (!/^\+?[0-9]{6,15}$/.test(address.to)) {
      throw new NotifyError('MG_ERR_NOTIFY_BAD_CONFIG', 'the SMS number is not a phone number');
    }
    const values: Record<string, string> = { to: address.to, text: message.text, id: message.idempotencyKey };
    const url = o.urlTemplate.replace(/\{(to|text|id)\}/g, (_m, k: string) => encodeURIComponent(values[k]!));
    const headers: Record<string, string> = { 'idempotency-key': message.idempotencyKey };
    if (o.auth?.type === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${o.auth.username}:${o.auth.password}`).toString('base64')}`;
    } else if (o.auth?.type === 'bearer') headers.authorization = `Bearer ${o.auth.token}`;
    else if (o.auth?.type === 'header') headers[o.auth.name.toLowerCase()] = o.auth.value;
    let body: string | undefined;
    if ((o.method ?? 'GET') === 'POST') {
      body = (o.bodyTemplate ?? '{"to":"{to}","text":"{text}"}').replace(
        /\{(to|text|id)\}/g,
        (_m, k: string) => JSON.stringify(values[k]!).slice(1, -1),
      );
      headers['content-type'] = o.contentType ?? 'application/json';
    }
    const res = await fetch(url, {
      method: o.method ?? 'GET',
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok)
      throw new NotifyError('MG_ERR_NOTIFY_CHANNEL_FAILED', `SMS gateway answered HTTP ${res.status}`);
  }
}
