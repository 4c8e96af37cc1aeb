import { createHmac, timingSafeEqual } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { GatewayError } from '../../errors/index.js';
import { NotifyError } from '../errors.js';
import { ForbiddenAddressError, guardedLookup, isForbiddenAddress, type Resolver } from './address-guard.js';
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
  /** Whole delivery bound (connect, send, answer), ms; default 10 s. */
  timeoutMs?: number;
  /** Largest answer read from the receiver, bytes (default 64 KiB); a larger one fails the delivery. */
  maxResponseBytes?: number;
  /** Deliver to `http:` URLs too (operators only, e.g. a receiver inside their own network). Default: https only. */
  allowHttp?: boolean;
  /** Deliver to loopback/private/link-local addresses (operators only; tests and closed networks). Default: refused. */
  allowPrivateAddresses?: boolean;
  /** Name resolution (tests); default the system resolver. */
  resolve?: Resolver;
}

/**
 * HTTP POST of the notification as JSON, signed with the customer's secret. The URL is the
 * customer's, so it is treated as hostile (SSRF): https only unless an operator allows http, every
 * address the name resolves to is checked when the socket connects (DNS rebinding), IP literals
 * likewise, redirects are never followed, and the answer is bounded in size and time.
 */
export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook' as const;
  private readonly options: WebhookChannelOptions;

  constructor(options: WebhookChannelOptions = {}) {
    this.options = options;
  }

  async send(message: OutgoingMessage, address: ChannelAddress): Promise<void> {
    if (!address.secret)
      throw new NotifyError('MG_ERR_NOTIFY_BAD_CONFIG', 'webhook without a signing secret');
    const url = this.checkUrl(address.to);
    const body = JSON.stringify({
      id: message.idempotencyKey,
      kind: message.kind,
      customerId: message.customerId,
      language: message.language,
      subject: message.subject,
      text: message.text,
      data: message.params,
    });
    const status = await this.post(url, body, {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signWebhook(address.secret, body, Math.floor(Date.now() / 1000)),
      [IDEMPOTENCY_HEADER]: message.idempotencyKey,
    });
    if (status >= 300 && status < 400) {
      throw new NotifyError(
        'MG_ERR_NOTIFY_CHANNEL_FAILED',
        `webhook answered a redirect (${status}), not followed`,
      );
    }
    if (status < 200 || status >= 300) {
      throw new NotifyError('MG_ERR_NOTIFY_CHANNEL_FAILED', `webhook answered HTTP ${status}`);
    }
  }

  /** Scheme, credentials and literal addresses: refused before any connection. */
  private checkUrl(raw: string): URL {
    const refuse = (reason: string): never => {
      throw new GatewayError('MG_ERR_NOTIFY_WEBHOOK_URL', { params: { reason }, details: { reason } });
    };
    const url = URL.canParse(raw) ? new URL(raw) : refuse('not a URL');
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.options.allowHttp)) {
      refuse(this.options.allowHttp ? 'only http and https' : 'only https');
    }
    if (url.username || url.password) refuse('no credentials in the URL');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // Sockets skip `lookup` for IP literals: check them here.
    if (isIP(host) && isForbiddenAddress(host) && !this.options.allowPrivateAddresses) {
      refuse('loopback, link-local, private or reserved address');
    }
    return url;
  }

  private post(url: URL, body: string, headers: Record<string, string>): Promise<number> {
    const maxBytes = this.options.maxResponseBytes ?? 64 * 1024;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          lookup: guardedLookup({
            allowPrivate: this.options.allowPrivateAddresses,
            ...(this.options.resolve ? { resolve: this.options.resolve } : {}),
          }),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
          agent: false,
        },
        (res) => {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > maxBytes) {
              req.destroy();
              reject(
                new NotifyError('MG_ERR_NOTIFY_CHANNEL_FAILED', `webhook answer over ${maxBytes} bytes`),
              );
            }
          });
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', (err) => {
        if (err instanceof ForbiddenAddressError) {
          reject(new NotifyError('MG_ERR_NOTIFY_WEBHOOK_ADDRESS', err.message));
        } else if (
          (err as { name?: string }).name === 'AbortError' ||
          (err as { name?: string }).name === 'TimeoutError'
        ) {
          reject(new NotifyError('MG_ERR_NOTIFY_CHANNEL_FAILED', 'webhook did not answer in time'));
        } else {
          reject(
            new NotifyError(
              'MG_ERR_NOTIFY_CHANNEL_FAILED',
              `webhook unreachable (${(err as NodeJS.ErrnoException).code ?? err.name})`,
            ),
          );
        }
      });
      req.end(body);
    });
  }
}
