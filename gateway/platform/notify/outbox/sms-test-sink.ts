import type { ChannelAddress, NotificationChannel, OutgoingMessage } from '../channels/channel.js';

/**
 * The SMS provider of tests: keeps what it was given instead of calling an SMS API, and can be told
 * to refuse (to exercise the outbox's `failed` status and retries).
 */
export class SmsTestSink implements NotificationChannel {
  readonly name = 'sms' as const;
  readonly sent: { to: string; text: string; key: string }[] = [];
  /** While set, every send throws this reason. */
  failWith: string | undefined;

  async send(message: OutgoingMessage, address: ChannelAddress): Promise<void> {
    if (this.failWith) throw new Error(this.failWith);
    this.sent.push({ to: address.to, text: message.text, key: message.idempotencyKey });
  }
}
